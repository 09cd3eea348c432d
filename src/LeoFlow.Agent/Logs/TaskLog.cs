using LeoFlow.Agent.Process;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task's log as the control plane expects it: stdout lines at INFO and stderr lines at
/// ERROR, each numbered per stream from 1 and stamped when the agent cut it; the agent's framing
/// lines on stream "agent", unnumbered.
/// </summary>
public sealed class TaskLog(ILogSink sink) : ILineWriter
{
    private long _stdout, _stderr;

    public ValueTask WriteLineAsync(OutputStream stream, string line) => stream == OutputStream.Stdout
        ? sink.WriteAsync(new LogRecord(DateTime.UtcNow, LogLevel.Info, "stdout", Interlocked.Increment(ref _stdout), line))
        : sink.WriteAsync(new LogRecord(DateTime.UtcNow, LogLevel.Error, "stderr", Interlocked.Increment(ref _stderr), line));

    /// <summary>A line of the agent's own about the task (start, end, why it failed).</summary>
    public ValueTask FramingAsync(LogLevel level, string text) => sink.WriteAsync(new LogRecord(DateTime.UtcNow, level, "agent", 0, text));
}
