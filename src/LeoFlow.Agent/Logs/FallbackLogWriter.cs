using System.Text;
using LeoFlow.Agent.Output;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// Writes task log lines to the agent's own stdout, where the container runtime collects them,
/// when the log stream cannot take them: "[stdout INFO] message". Each line is one write: the
/// process's stdout is a <see cref="NonBlockingOutput"/>, so a stdout nobody reads drops lines
/// (counted, and said at exit) instead of blocking the task's pipes.
/// </summary>
public sealed class FallbackLogWriter(Stream output)
{
    private readonly Lock _lock = new();

    /// <summary>The process's own standard output.</summary>
    public static FallbackLogWriter StandardOutput { get; } = new(StandardStreams.Stdout);

    /// <summary>A line taken back from the stream's buffer.</summary>
    public void Write(LogLine line) => Write(line.Stream, line.Level, Encoding.UTF8.GetBytes(line.Message));

    public void Write(in LogEntry entry) => Write(entry.Stream, entry.Level, entry.Message);

    private void Write(string stream, LogLevel level, ReadOnlySpan<byte> message)
    {
        string prefix = $"[{stream} {level switch { LogLevel.Error => "ERROR", LogLevel.Warn => "WARN", LogLevel.Debug => "DEBUG", _ => "INFO" }}] ";
        byte[] line = new byte[Encoding.UTF8.GetByteCount(prefix) + message.Length + 1];
        int at = Encoding.UTF8.GetBytes(prefix, line);
        message.CopyTo(line.AsSpan(at));
        line[^1] = (byte)'\n';
        lock (_lock)
        {
            try
            {
                output.Write(line);
                output.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* our own stdout is gone or not writable (EBADF): nowhere left to write */ }
        }
    }
}
