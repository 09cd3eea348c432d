using System.Runtime.InteropServices;

namespace LeoFlow.Agent.Process;

/// <summary>
/// Collects the exit status of spawned children, without polling: a blocked <c>waitpid</c> on a
/// dedicated thread. In the binary it runs in orphan mode: as PID 1 or as a child subreaper the
/// agent inherits every orphaned descendant, and one <c>waitpid(-1)</c> loop reaps them all (what
/// tini does) while handing the task's own status to whoever waits for it. A process that also
/// starts children by other means (a test host) must not reap what is not its own, so there each
/// child gets its own <c>waitpid(pid)</c>.
/// </summary>
internal sealed unsafe class ChildReaper
{
    private readonly bool _reapOrphans;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, TaskCompletionSource<int>> _waiters = [];
    private readonly SemaphoreSlim _childrenMayExist = new(0);
    private Thread? _orphanThread;

    public ChildReaper(bool reapOrphans) => _reapOrphans = reapOrphans;

    /// <summary>
    /// Makes the calling process a child subreaper, so orphaned descendants of the task are
    /// re-parented to it even when it is not PID 1. Returns false when the kernel refused.
    /// </summary>
    public static bool BecomeSubreaper() => Native.getpid() == 1 || Native.prctl(Native.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;

    /// <summary>
    /// Runs <paramref name="spawn"/> (which returns a pid) so that its child cannot be reaped
    /// before its waiter is registered, and returns the pid and a task for its wait status.
    /// </summary>
    public (int Pid, Task<int> Status) Spawn(Func<int> spawn)
    {
        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        int pid;
        lock (_lock)
        {
            pid = spawn();
            if (_reapOrphans) _waiters[pid] = tcs;
        }
        if (_reapOrphans)
        {
            EnsureOrphanThread();
            _childrenMayExist.Release();
        }
        else
        {
            new Thread(() => WaitOne(pid, tcs)) { IsBackground = true, Name = "reap-" + pid }.Start();
        }
        return (pid, tcs.Task);
    }

    private static void WaitOne(int pid, TaskCompletionSource<int> tcs)
    {
        int status;
        while (true)
        {
            int r = Native.waitpid(pid, &status, 0);
            if (r == pid) { tcs.TrySetResult(status); return; }
            int errno = Marshal.GetLastSystemError();
            if (errno == Native.EINTR) continue;
            tcs.TrySetException(new InvalidOperationException($"waitpid({pid}) failed: errno {errno}"));
            return;
        }
    }

    private void EnsureOrphanThread()
    {
        lock (_lock)
        {
            if (_orphanThread is not null) return;
            _orphanThread = new Thread(ReapLoop) { IsBackground = true, Name = "reaper" };
            _orphanThread.Start();
        }
    }

    private void ReapLoop()
    {
        int status;
        while (true)
        {
            int pid = Native.waitpid(-1, &status, 0);
            if (pid > 0)
            {
                TaskCompletionSource<int>? tcs;
                lock (_lock) _waiters.Remove(pid, out tcs);   // none: an orphan, reaped and forgotten
                tcs?.TrySetResult(status);
                continue;
            }
            // EINTR: retry at once. ECHILD (no child at all), or anything else, must not spin:
            // sleep until the next spawn.
            if (Marshal.GetLastSystemError() != Native.EINTR) _childrenMayExist.Wait();
        }
    }
}
