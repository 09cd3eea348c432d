namespace LeoFlow.Agent;

/// <summary>
/// A request to stop the task, with the reason shown to the user. The first request wins: a
/// stop signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT), the control plane (heartbeat should_terminate)
/// or the task's execution timeout.
/// Only the task is stopped by it; the agent's last RPCs run on their own deadlines.
/// </summary>
public sealed class Termination : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private string? _reason;

    public CancellationToken Token => _cts.Token;

    /// <summary>Why the task was stopped, or null when it was not.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    public void Request(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null) _cts.Cancel();
    }

    public void Dispose() => _cts.Dispose();
}
