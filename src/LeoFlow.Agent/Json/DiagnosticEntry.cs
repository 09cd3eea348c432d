using System.Text.Json.Serialization;

namespace LeoFlow.Agent.Json;

/// <summary>
/// One diagnostic line: the keys of the old agent's slog JSON handler, and the trace's ids (the
/// span of the step under way) as OpenTelemetry's log data model names them.
/// </summary>
internal sealed record DiagnosticEntry(
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("msg")] string Message,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("trace_id")] string? TraceId,
    [property: JsonPropertyName("span_id")] string? SpanId);
