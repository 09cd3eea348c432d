using System.Text.Json.Serialization;

namespace LeoFlow.Agent.Json;

/// <summary>One diagnostic line: the keys of the old agent's slog JSON handler.</summary>
internal sealed record DiagnosticEntry(
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("msg")] string Message,
    [property: JsonPropertyName("error")] string? Error);
