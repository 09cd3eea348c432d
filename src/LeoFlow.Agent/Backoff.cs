namespace LeoFlow.Agent;

/// <summary>
/// The retry schedule of every retried RPC and of the log stream's re-opening: 1 s, 2 s, 4 s, 8 s,
/// 16 s before attempts 1..5, then give up. Each wait is spread by a random factor between 0.8 and
/// 1.2 (<see cref="Jittered"/>), as gRPC's own connection backoff does, so agents that failed
/// together (a control plane restart) do not all come back in the same instant. The waits sum to
/// 31 s on the schedule and at most 37.2 s with the spread: how long the agent waits for a control
/// plane that is not up yet.
/// </summary>
public static class Backoff
{
    /// <summary>Number of retries before giving up.</summary>
    public const int MaxAttempts = 5;

    /// <summary>The spread of each wait: ±20 %.</summary>
    public const double Jitter = 0.2;

    /// <summary>The delay before retry <paramref name="attempt"/> (1-based) in units of
    /// <paramref name="unit"/> (1 s in the binary), before the spread; null means "give up".</summary>
    public static TimeSpan? Delay(int attempt, TimeSpan unit) =>
        attempt is < 1 or > MaxAttempts ? null : unit * (1 << (attempt - 1));

    /// <summary>The wait before retry <paramref name="attempt"/>: <see cref="Delay(int, TimeSpan)"/> spread by ±<see cref="Jitter"/>.</summary>
    public static TimeSpan? Jittered(int attempt, TimeSpan unit) =>
        Delay(attempt, unit) is { } delay ? delay * (1 - Jitter + 2 * Jitter * Random.Shared.NextDouble()) : null;
}
