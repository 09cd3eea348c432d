using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeoFlow.Agent.Json;

/// <summary>All JSON the agent writes, generated at compile time: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DiagnosticEntry))]
[JsonSerializable(typeof(VersionInfo))]
internal sealed partial class AgentJsonContext : JsonSerializerContext
{
    /// <summary>Leaves '+', quotes and non-ASCII text readable: the output is a log line, not HTML.</summary>
    public static AgentJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
