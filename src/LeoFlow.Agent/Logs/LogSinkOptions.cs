namespace LeoFlow.Agent.Logs;

/// <summary>Timings of the log stream; the defaults are the binary's, tests shorten them.</summary>
public sealed record LogSinkOptions
{
    /// <summary>Unit of the Backoff schedule for re-opening the stream (1 s: 31 s in all).</summary>
    public TimeSpan BackoffUnit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one open may take before it counts as failed (the connect timeout, plus TLS).</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A write blocked this long means the control plane stopped reading: lines go to stdout.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
