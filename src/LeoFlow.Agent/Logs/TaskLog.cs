using System.Text;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Process;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task's log as the control plane expects it: stdout lines at INFO and stderr lines at
/// ERROR, each numbered per stream from 1 and stamped when the agent cut it; the agent's framing
/// lines on stream "agent", unnumbered, through <see cref="OutgoingText"/> (they may quote a
/// server's message). The task's own lines are its output, passed as they are but for its
/// secrets: each occurrence of one is masked (<see cref="SecretMasker"/>) on the bytes from the
/// pipe, before the line goes to the sink (and from there, perhaps, to the stdout fallback), and
/// counted.
/// </summary>
public sealed class TaskLog(ILogSink sink, OutgoingText text) : ILineWriter
{
    private long _stdout, _stderr, _masked;

    // One per pipe: each stream is read, and so masked, by one thread of its own.
    private readonly MaskBuffer _stdoutMask = new(), _stderrMask = new();

    /// <summary>Occurrences of secrets masked in the task's lines so far.</summary>
    public long Masked => Interlocked.Read(ref _masked);

    public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line)
    {
        var masker = text.Secrets.Masker;
        if (!masker.IsEmpty)
        {
            if (masker.RepairFirst) line = LogFrame.Utf8Message(line);
            line = masker.Mask(line, stream == OutputStream.Stdout ? _stdoutMask : _stderrMask, out int masked);
            if (masked > 0) Interlocked.Add(ref _masked, masked);
        }
        // Each stream is read by one thread: its counter needs no lock.
        var entry = stream == OutputStream.Stdout
            ? new LogEntry(DateTime.UtcNow, LogLevel.Info, "stdout", ++_stdout, line)
            : new LogEntry(DateTime.UtcNow, LogLevel.Error, "stderr", ++_stderr, line);
        sink.Write(entry);
    }

    /// <summary>A piece of an overlong line ends before a secret it would split, so that each piece is masked whole.</summary>
    public int WritePiece(OutputStream stream, ReadOnlySpan<byte> full)
    {
        int cut = LineSplitter.CutPoint(full);
        var masker = text.Secrets.Masker;
        int safe = masker.IsEmpty ? cut : masker.SafeCut(full, cut, stream == OutputStream.Stdout ? _stdoutMask : _stderrMask);
        if (safe > 0)
        {
            WriteLine(stream, full[..safe]);
            return safe;
        }
        // Overlapping secrets from the first byte past the cut (one repeated without a break): all of it goes masked.
        Interlocked.Increment(ref _masked);
        WriteLine(stream, "***"u8);
        return cut;
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

    /// <summary>
    /// How many occurrences of secrets the task's lines had, a count alone, as a framing line; said
    /// whenever the task had secrets to mask, none found included, and whenever one was masked.
    /// </summary>
    public void MaskedCount()
    {
        long masked = Masked;
        if (masked > 0 || text.Secrets.HasTaskSecrets)
            Framing(LogLevel.Info, "▪ secrets masked in the task's output: " + masked.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
