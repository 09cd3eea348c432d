using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>Keeps every line a runner delivers, in delivery order.</summary>
internal sealed class LineCollector : ILineWriter
{
    private readonly Lock _lock = new();
    private readonly List<(OutputStream Stream, string Line)> _lines = [];

    public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line)
    {
        string text = System.Text.Encoding.UTF8.GetString(line);
        lock (_lock) _lines.Add((stream, text));
    }

    public void Flush() { }

    public IReadOnlyList<string> Of(OutputStream stream)
    {
        lock (_lock) return _lines.Where(l => l.Stream == stream).Select(l => l.Line).ToArray();
    }

    public IReadOnlyList<string> Stdout => Of(OutputStream.Stdout);
}
