namespace LeoFlow.Agent;

/// <summary>The lifecycle's settings; defaults are the binary's, tests shorten the waits.</summary>
public sealed record TaskRunnerOptions
{
    /// <summary>Sent in Register.</summary>
    public required string Version { get; init; }

    /// <summary>Sent in Register.</summary>
    public required string Hostname { get; init; }

    /// <summary>The agent's own environment: base of the task's, and its PATH and LEOFLOW_PYTHON.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>Between heartbeats (the control plane reaps a task after 90 s without one).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for the log stream to drain at the end.</summary>
    public TimeSpan LogDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of each unary RPC attempt.</summary>
    public TimeSpan RpcTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unit of the <see cref="Backoff"/> schedule (1 s: retries over 31 s in all).</summary>
    public TimeSpan BackoffUnit { get; init; } = TimeSpan.FromSeconds(1);
}
