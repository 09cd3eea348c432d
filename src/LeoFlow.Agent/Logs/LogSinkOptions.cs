namespace LeoFlow.Agent.Logs;

/// <summary>Timings of the log stream; the defaults are the binary's, tests shorten them.</summary>
public sealed record LogSinkOptions
{
    /// <summary>Unit of the Backoff schedule for re-opening the stream (1 s: 31 s in all).</summary>
    public TimeSpan BackoffUnit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one open may take before it counts as failed (the connect timeout, plus TLS).</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// At the end of the task, the drain gives up after this long without progress (a write
    /// completing, or the call ending): the control plane stopped taking the log. While it
    /// progresses the drain goes on, up to the lifecycle's cap (TaskRunnerOptions.LogDrainTimeout).
    /// </summary>
    public TimeSpan DrainStallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A write blocked this long means the control plane stopped reading: lines go to stdout.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Bytes of already sent lines kept to be sent again when the stream breaks: 1 MiB. StreamLogs
    /// has no acknowledgements, so lines written just before a reset may never have been read; the
    /// server can only have that much unread, as HTTP/2 flow control stops the agent at the
    /// stream's receive window (Kestrel's default is 768 KiB; grpc-go's starts at 64 KiB and grows
    /// with the bandwidth-delay product, which is small inside a cluster). A reset thus costs at
    /// most this much of the log twice, never a line lost. The window is held in memory on top of
    /// <see cref="GrpcLogSink.PendingBytes"/>.
    /// </summary>
    public long ReplayBytes { get; init; } = 1024 * 1024;
}
