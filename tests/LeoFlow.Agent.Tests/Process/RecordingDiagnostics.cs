using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>Keeps the diagnostics written, as "LEVEL message: error".</summary>
internal sealed class RecordingDiagnostics : IDiagnostics
{
    private readonly Lock _lock = new();
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get { lock (_lock) return _entries.ToArray(); }
    }

    public void Write(DiagnosticLevel level, string message, string? error = null)
    {
        lock (_lock) _entries.Add($"{level} {message}" + (error is null ? "" : ": " + error));
    }
}
