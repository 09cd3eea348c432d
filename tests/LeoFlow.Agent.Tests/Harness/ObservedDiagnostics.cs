using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>The agent's diagnostics as JSON lines, and each one handed to a test as it is written.</summary>
public sealed class ObservedDiagnostics(IDiagnostics inner, Action<DiagnosticLevel, string>? observer) : IDiagnostics
{
    public void Write(DiagnosticLevel level, string message, string? error = null)
    {
        inner.Write(level, message, error);
        observer?.Invoke(level, message);
    }
}
