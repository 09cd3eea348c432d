using Microsoft.Win32.SafeHandles;

namespace LeoFlow.Agent.Process;

/// <summary>
/// Runs the task in its own session (so its whole tree is one process group), reads both pipes
/// on their own threads into <see cref="LineSplitter"/>, and supervises it: termination sends
/// SIGTERM to the group and SIGKILL after the grace period; when the main process has exited, a
/// descendant still holding the pipes gets <see cref="PipeDrainTimeout"/> before the group is
/// killed, so nothing the task leaves behind keeps the agent alive.
/// </summary>
public sealed class PosixCommandRunner : ICommandRunner
{
    /// <summary>How long pipes may stay open after the main process exited.</summary>
    public static readonly TimeSpan PipeDrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longest wait for lines already read but not yet taken by a slow log stream; past it the
    /// stream's own stall timeout has moved them to stdout anyway.
    /// </summary>
    public static readonly TimeSpan BacklogTimeout = TimeSpan.FromSeconds(70);

    private readonly ChildReaper _reaper;
    private readonly TimeSpan _gracePeriod;
    private readonly IOomKillCounter _oomKills;
    private readonly SignalForwarder? _forwarder;

    internal PosixCommandRunner(ChildReaper reaper, TimeSpan gracePeriod, IOomKillCounter oomKills, SignalForwarder? forwarder = null)
    {
        _reaper = reaper;
        _gracePeriod = gracePeriod;
        _oomKills = oomKills;
        _forwarder = forwarder;
    }

    public async Task<ProcessExit> RunAsync(ProcessSpec spec, ILineWriter output, CancellationToken terminate)
    {
        string file = spec.Argv[0];
        string? path = TaskCommand.ResolveExecutable(file, spec.SearchPath);
        if (path is null) return new ProcessExit(127, 0, $"exec: \"{file}\": executable file not found in $PATH");

        long? oomBefore = _oomKills.Read();
        Spawner.Child child;
        try { child = Spawner.Spawn(_reaper, path, spec.Argv, spec.Environment); }
        catch (SpawnException e) { return StartFailure(path, e); }
        // Before anything the task prints can be seen: a signal sent after that reaches it.
        using var forwarding = _forwarder?.Track(child.Pid);

        var writer = new TrackedWriter(output);
        var pipes = Task.WhenAll(Pump(child.Stdout, OutputStream.Stdout, writer), Pump(child.Stderr, OutputStream.Stderr, writer));
        int status;
        bool stopped;
        try
        {
            using var stop = new GroupStop(child.Pid, _gracePeriod);
            using (terminate.Register(stop.Begin))
            {
                status = await child.Status.ConfigureAwait(false);
                stopped = stop.Begun;
                await DrainPipesAsync(child.Pid, pipes, writer).ConfigureAwait(false);
            }
        }
        finally
        {
            Signal(child.Pid, Native.SIGKILL);   // whatever of the group is left has no reason to outlive the task
        }
        var (code, signal) = Native.DecodeWaitStatus(status);
        long oomKills = oomBefore is { } before && _oomKills.Read() is { } after && after > before ? after - before : 0;
        return new ProcessExit(code, signal, null, oomKills, stopped);
    }

    /// <summary>
    /// Waits for both pipes' end after the main process exited. A pipe held open by a
    /// descendant gets <see cref="PipeDrainTimeout"/> of silence, then the group is killed, then
    /// as much again before the pipes are abandoned (a process that left the group). Lines the
    /// log stream has not taken yet are the agent's own backlog, not the task's doing: that wait
    /// is bounded by <see cref="BacklogTimeout"/> instead. Checked every 100 ms, only here.
    /// </summary>
    private static async Task DrainPipesAsync(int pgid, Task pipes, TrackedWriter writer)
    {
        var total = System.Diagnostics.Stopwatch.StartNew();
        var silent = System.Diagnostics.Stopwatch.StartNew();
        bool killed = false;
        while (!await Finishes(pipes, TimeSpan.FromMilliseconds(100)).ConfigureAwait(false))
        {
            if (writer.Flushing)
            {
                silent.Restart();
                if (total.Elapsed > BacklogTimeout) return;
                continue;
            }
            if (silent.Elapsed < PipeDrainTimeout) continue;
            if (killed) return;
            Signal(pgid, Native.SIGKILL);
            killed = true;
            silent.Restart();
        }
    }

    /// <summary>Passes lines on and tells whether a pipe's thread is waiting for room in the log.</summary>
    private sealed class TrackedWriter(ILineWriter inner) : ILineWriter
    {
        private int _flushing;

        public bool Flushing => Volatile.Read(ref _flushing) > 0;

        public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line) => inner.WriteLine(stream, line);

        public int WritePiece(OutputStream stream, ReadOnlySpan<byte> full) => inner.WritePiece(stream, full);

        public void Flush()
        {
            Interlocked.Increment(ref _flushing);
            try { inner.Flush(); }
            finally { Interlocked.Decrement(ref _flushing); }
        }
    }

    /// <summary>The shell's convention: 127 when there is nothing to execute, 126 when it cannot be executed.</summary>
    private static ProcessExit StartFailure(string path, SpawnException e)
    {
        if (e.Errno is Native.ENOENT or Native.ENOTDIR)
        {
            // execve says ENOENT for a script whose #! interpreter is missing, too.
            string what = File.Exists(path) ? "the interpreter on its #! line was not found" : "executable file not found";
            return new ProcessExit(127, 0, $"exec: \"{path}\": {what} ({e.Message})");
        }
        return new ProcessExit(126, 0, $"exec: \"{path}\": cannot execute: {e.Message}");
    }

    /// <summary>
    /// Reads one pipe on a thread of its own (<see cref="LineSplitter.Pump"/> blocks), never on the
    /// thread pool, where two blocked reads per task would starve the gRPC work on a small machine.
    /// </summary>
    private static Task Pump(SafeFileHandle handle, OutputStream stream, ILineWriter output)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                using var pipe = new FileStream(handle, FileAccess.Read, bufferSize: 0);
                LineSplitter.Pump(pipe, stream, output);
            }
            catch (IOException) { /* a read error ends the pipe like EOF; what was read is delivered */ }
            catch (Exception e)
            {
                done.TrySetException(e);   // the writer failed: RunAsync's caller sees it
                return;
            }
            done.TrySetResult();
        })
        { IsBackground = true, Name = "pipe-" + stream }.Start();
        return done.Task;
    }

    private static async Task<bool> Finishes(Task task, TimeSpan timeout)
    {
        try { await task.WaitAsync(timeout).ConfigureAwait(false); return true; }
        catch (TimeoutException) { return false; }
    }

    private static void Signal(int pgid, int signal) => Native.kill(-pgid, signal);

    /// <summary>SIGTERM to the group now, SIGKILL when the grace period is over.</summary>
    private sealed class GroupStop(int pgid, TimeSpan grace) : IDisposable
    {
        private Timer? _kill;

        /// <summary>True once SIGTERM was sent.</summary>
        public bool Begun => Volatile.Read(ref _kill) is not null;

        public void Begin()
        {
            Signal(pgid, Native.SIGTERM);
            _kill = new Timer(_ => Signal(pgid, Native.SIGKILL), null, grace, Timeout.InfiniteTimeSpan);
        }

        public void Dispose() => _kill?.Dispose();
    }
}
