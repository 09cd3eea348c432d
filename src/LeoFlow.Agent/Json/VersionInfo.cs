using System.Text.Json.Serialization;

namespace LeoFlow.Agent.Json;

/// <summary>What <c>leoflow-agent version --json</c> prints.</summary>
public sealed record VersionInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("runtime")] string Runtime);
