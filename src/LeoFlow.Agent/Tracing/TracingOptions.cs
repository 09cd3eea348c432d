namespace LeoFlow.Agent.Tracing;

/// <summary>The trace the agent continues (null: it starts one) and where its spans go (null: nowhere).</summary>
public sealed class TracingOptions(TraceContext? Parent, OtlpSettings? Export)
{
    public TraceContext? Parent { get; } = Parent;
    public OtlpSettings? Export { get; } = Export;

    public static readonly TracingOptions None = new(null, null);

    /// <summary>TRACEPARENT, TRACESTATE and the OTEL_* settings; each problem is a warning, never an error.</summary>
    public static TracingOptions FromEnvironment(IReadOnlyDictionary<string, string> env, List<string> warnings) =>
        new(TraceContext.FromEnvironment(env, warnings), OtlpSettings.FromEnvironment(env, warnings));

    /// <summary>The start-up line about export, or null when there is nothing to say.</summary>
    public string? Describe() => Export is null ? null
        : Parent is { Sampled: false } ? "the parent trace (TRACEPARENT) is not sampled: spans are not exported, trace context still propagates"
        : $"spans go to the OTLP/gRPC collector at {Export.Endpoint.GetLeftPart(UriPartial.Authority)} after the final report (within {Export.Timeout.TotalSeconds:0.###} s)";
}
