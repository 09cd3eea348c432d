using System.Globalization;
using System.Text.Json;
using LeoFlow.Agent.Json;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Diagnostics;

/// <summary>
/// Writes diagnostics as JSON lines to a stream (stderr in the binary). Every field passes through
/// <see cref="OutgoingText"/> before writing: each secret of the registry (the bearer tokens, the
/// task's secrets once they are known) becomes "***", control characters are escaped. With a trace, each line carries its trace_id and
/// the span_id of the step under way (the root span, agent.task, between steps).
/// </summary>
public sealed class JsonDiagnostics(Stream output, Masking.SecretRegistry secrets, TaskTrace? trace = null) : IDiagnostics
{
    private readonly Stream _output = output;
    private readonly OutgoingText _text = new(secrets);
    private readonly TaskTrace? _trace = trace;
    private readonly Lock _lock = new();

    public void Write(DiagnosticLevel level, string message, string? error = null)
    {
        var entry = new DiagnosticEntry(
            DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            level switch { DiagnosticLevel.Warn => "WARN", DiagnosticLevel.Error => "ERROR", _ => "INFO" },
            Redact(message),
            error is null ? null : Redact(error),
            _trace?.TraceId,
            _trace?.Current.SpanIdHex);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(entry, AgentJsonContext.Relaxed.DiagnosticEntry);
        byte[] line = [.. json, (byte)'\n'];
        lock (_lock)
        {
            // One write per line: stderr in the binary is a NonBlockingOutput, which keeps or drops each write whole.
            try { _output.Write(line); _output.Flush(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* stderr is gone or not writable (EBADF): diagnostics are best effort by nature */ }
        }
    }

    private string Redact(string text) => _text.Clean(text);
}
