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

    public ValueTask WriteLineAsync(OutputStream stream, string line)
    {
        lock (_lock) _lines.Add((stream, line));
        return ValueTask.CompletedTask;
    }
}
