using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>Keeps every line it is given, in order.</summary>
public sealed class RecordingLineWriter : ILineWriter
{
    private readonly Lock _lock = new();
    private readonly List<(OutputStream Stream, string Line)> _lines = [];

    public IReadOnlyList<(OutputStream Stream, string Line)> Lines
    {
        get { lock (_lock) return _lines.ToArray(); }
    }

    public IReadOnlyList<string> Texts => Lines.Select(l => l.Line).ToArray();

    /// <summary>Lines are kept as text, decoded as the log's encoder would (invalid bytes → U+FFFD).</summary>
    public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line)
    {
        string text = System.Text.Encoding.UTF8.GetString(line);
        lock (_lock) _lines.Add((stream, text));
    }

    public void Flush() { }
}
