using System.Text;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Process;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task's log as the control plane expects it: stdout lines at INFO and stderr lines at
/// ERROR, each numbered per stream from 1 and stamped when the agent cut it; the agent's framing
/// lines on stream "agent", unnumbered, through <see cref="OutgoingText"/> (they may quote a
/// server's message). The task's own lines are its output, passed as they are.
/// </summary>
public sealed class TaskLog(ILogSink sink, OutgoingText text) : ILineWriter
{
    private long _stdout, _stderr;

    public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line)
    {
        // Each stream is read by one thread: its counter needs no lock.
        var entry = stream == OutputStream.Stdout
            ? new LogEntry(DateTime.UtcNow, LogLevel.Info, "stdout", ++_stdout, line)
            : new LogEntry(DateTime.UtcNow, LogLevel.Error, "stderr", ++_stderr, line);
        sink.Write(entry);
    }

    public void Flush() => sink.Flush();

    /// <summary>Lines of the task's stdout and stderr so far (for the agent.execute_user_code span).</summary>
    public long StdoutLines => Volatile.Read(ref _stdout);
    public long StderrLines => Volatile.Read(ref _stderr);

    /// <summary>A line of the agent's own about the task (start, end, why it failed).</summary>
    public void Framing(LogLevel level, string line)
    {
        sink.Write(new LogEntry(DateTime.UtcNow, level, "agent", 0, Encoding.UTF8.GetBytes(text.Clean(line))));
        sink.Flush();
    }
}
