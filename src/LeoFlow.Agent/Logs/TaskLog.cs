using Google.Protobuf.WellKnownTypes;
using LeoFlow.Agent.Process;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task's log as the control plane expects it: stdout lines at INFO and stderr lines at
/// ERROR, each numbered per stream from 1; the agent's framing lines on stream "agent", unnumbered.
/// </summary>
public sealed class TaskLog(ILogSink sink) : ILineWriter
{
    private long _stdout, _stderr;

    public ValueTask WriteLineAsync(OutputStream stream, string line) => stream == OutputStream.Stdout
        ? sink.WriteAsync(Line(LogLevel.Info, line, "stdout", Interlocked.Increment(ref _stdout)))
        : sink.WriteAsync(Line(LogLevel.Error, line, "stderr", Interlocked.Increment(ref _stderr)));

    /// <summary>A line of the agent's own about the task (start, end, why it failed).</summary>
    public ValueTask FramingAsync(LogLevel level, string text) => sink.WriteAsync(Line(level, text, "agent", 0));

    private static LogLine Line(LogLevel level, string message, string stream, long number) => new()
    {
        Time = Timestamp.FromDateTime(DateTime.UtcNow),
        Level = level,
        Message = message,
        Stream = stream,
        LineNumber = number,
    };
}
