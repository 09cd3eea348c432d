using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// One line of the task log on its way to the encoder: what a LogLine carries, with the message
/// still the bytes the task wrote, borrowed from the pipe's buffer (hence a ref struct).
/// </summary>
public readonly ref struct LogEntry(DateTime time, LogLevel level, string stream, long number, ReadOnlySpan<byte> message)
{
    public DateTime Time { get; } = time;
    public LogLevel Level { get; } = level;

    /// <summary>"stdout", "stderr" or "agent".</summary>
    public string Stream { get; } = stream;

    /// <summary>Per stream from 1; 0 for the agent's own lines.</summary>
    public long Number { get; } = number;

    /// <summary>The line as the task wrote it: UTF-8, or bytes the encoder will repair.</summary>
    public ReadOnlySpan<byte> Message { get; } = message;
}
