namespace LeoFlow.Agent.Process;

/// <summary>
/// Passes a signal the agent receives on to the running task's process group (SIGUSR1 and
/// SIGUSR2: a supervisor's request meant for the task, such as "reopen your logs"), as tini and
/// dumb-init do. The runner says which group is running; between tasks there is none.
/// </summary>
internal sealed class SignalForwarder
{
    private int _group;

    /// <summary>Signals go to <paramref name="pgid"/>'s group until the result is disposed.</summary>
    internal IDisposable Track(int pgid)
    {
        Volatile.Write(ref _group, pgid);
        return new Untrack(this, pgid);
    }

    /// <summary>Sends <paramref name="signal"/> to the task's group: false when no task runs.</summary>
    public bool Forward(int signal) => Volatile.Read(ref _group) is > 0 and var pgid && Native.kill(-pgid, signal) == 0;

    private sealed class Untrack(SignalForwarder forwarder, int pgid) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref forwarder._group, 0, pgid);
    }
}
