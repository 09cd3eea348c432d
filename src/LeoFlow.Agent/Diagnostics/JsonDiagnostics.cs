using System.Globalization;
using System.Text.Json;
using LeoFlow.Agent.Json;

namespace LeoFlow.Agent.Diagnostics;

/// <summary>
/// Writes diagnostics as JSON lines to a stream (stderr in the binary). Every secret it was
/// given (the bearer token) is replaced by "[redacted]" in every field before writing.
/// </summary>
public sealed class JsonDiagnostics(Stream output, IEnumerable<string> secrets) : IDiagnostics
{
    private readonly string[] _secrets = secrets.Where(s => s.Length > 0).ToArray();
    private readonly Lock _lock = new();

    public void Write(DiagnosticLevel level, string message, string? error = null)
    {
        var entry = new DiagnosticEntry(
            DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            level switch { DiagnosticLevel.Warn => "WARN", DiagnosticLevel.Error => "ERROR", _ => "INFO" },
            Redact(message),
            error is null ? null : Redact(error));
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(entry, AgentJsonContext.Relaxed.DiagnosticEntry);
        lock (_lock)
        {
            try { output.Write(json); output.WriteByte((byte)'\n'); output.Flush(); }
            catch (IOException) { /* stderr is gone; diagnostics are best effort by nature */ }
        }
    }

    private string Redact(string text)
    {
        foreach (var secret in _secrets) text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        return text;
    }
}
