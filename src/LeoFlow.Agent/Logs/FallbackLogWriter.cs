using System.Text;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// Writes task log lines to the agent's own stdout, where the container runtime collects them,
/// when the log stream cannot take them: "[stdout INFO] message". Lines are never just dropped.
/// </summary>
public sealed class FallbackLogWriter(Stream output)
{
    private readonly Lock _lock = new();

    /// <summary>The process's own standard output.</summary>
    public static FallbackLogWriter StandardOutput { get; } = new(System.Console.OpenStandardOutput());

    public void Write(LogLine line)
    {
        string level = line.Level switch
        {
            LogLevel.Error => "ERROR", LogLevel.Warn => "WARN", LogLevel.Debug => "DEBUG", _ => "INFO",
        };
        var text = Encoding.UTF8.GetBytes($"[{line.Stream} {level}] {line.Message}\n");
        lock (_lock)
        {
            try { output.Write(text); output.Flush(); }
            catch (IOException) { /* our own stdout is gone: there is nowhere left to write */ }
        }
    }
}
