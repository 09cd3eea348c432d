namespace LeoFlow.Agent.Diagnostics;

public enum DiagnosticLevel { Info, Warn, Error }

/// <summary>The agent's own diagnostics (not the task log): one JSON line each on stderr.</summary>
public interface IDiagnostics
{
    void Write(DiagnosticLevel level, string message, string? error = null);
}

public static class DiagnosticsExtensions
{
    public static void Info(this IDiagnostics d, string message) => d.Write(DiagnosticLevel.Info, message);
    public static void Warn(this IDiagnostics d, string message, string? error = null) => d.Write(DiagnosticLevel.Warn, message, error);
    public static void Error(this IDiagnostics d, string message, string? error = null) => d.Write(DiagnosticLevel.Error, message, error);
}
