namespace LeoFlow.ControlPlane;

/// <summary>The request headers of one call (names lower-case, as gRPC metadata has them).</summary>
/// <param name="Call">The method, with ReportState's state: "ReportState:SUCCESS".</param>
public sealed record CallHeaders(string Call, IReadOnlyDictionary<string, string> Headers)
{
    public string? TraceParent => Headers.GetValueOrDefault("traceparent");
    public string? TraceState => Headers.GetValueOrDefault("tracestate");
}
