using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// One line of the task log before it is encoded: what a <see cref="Leoflow.Agent.V1.LogLine"/>
/// carries, as a struct, so the hot path allocates nothing but the message string.
/// </summary>
public readonly record struct LogRecord(DateTime Time, LogLevel Level, string Stream, long Number, string Message)
{
    /// <summary>The same line as the generated message type (slow paths and tests).</summary>
    public LogLine ToLogLine() => new()
    {
        Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.SpecifyKind(Time, DateTimeKind.Utc)),
        Level = Level,
        Stream = Stream,
        LineNumber = Number,
        Message = Message,
    };
}
