namespace LeoFlow.Agent;

/// <summary>
/// The retry schedule of every retried RPC: 1 s, 2 s, 4 s, 8 s, 16 s before attempts 1..5, then
/// give up. Sums to 31 s, which is how long the agent waits for a control plane that is not up yet.
/// </summary>
public static class Backoff
{
    /// <summary>Number of retries before giving up.</summary>
    public const int MaxAttempts = 5;

    /// <summary>The delay before retry <paramref name="attempt"/> (1-based) in units of
    /// <paramref name="unit"/> (1 s in the binary); null means "give up".</summary>
    public static TimeSpan? Delay(int attempt, TimeSpan unit) =>
        attempt is < 1 or > MaxAttempts ? null : unit * (1 << (attempt - 1));
}
