namespace LeoFlow.Agent;

/// <summary>The lifecycle's settings; defaults are the binary's, tests shorten the waits.</summary>
public sealed class TaskRunnerOptions
{
    /// <summary>Sent in Register.</summary>
    public required string Version { get; init; }

    /// <summary>Sent in Register.</summary>
    public required string Hostname { get; init; }

    /// <summary>The agent's own environment: base of the task's, and its PATH and LEOFLOW_PYTHON.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>Between heartbeats (the control plane reaps a task after 90 s without one).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest wait for the log stream to drain at the end, as long as the control plane keeps
    /// taking it: 60 s (a stall ends it sooner, LogSinkOptions.DrainStallTimeout). A control plane
    /// absorbing a fleet's replays after a restart may need more than a few seconds.
    /// </summary>
    public TimeSpan LogDrainTimeout { get; init; } = DefaultLogDrainTimeout;

    /// <summary>The cap of <see cref="LogDrainTimeout"/> in the binary: 60 s.</summary>
    public static readonly TimeSpan DefaultLogDrainTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Deadline of each unary RPC attempt: 10 s. The control plane answers every unary call from
    /// a small database lookup; a call still unanswered after 10 s is hung, and waiting longer only
    /// delays the retry. 10 s also stays under the 15 s heartbeat interval, so one hung beat does
    /// not swallow the next, and bounds a control plane that accepts but never answers to about
    /// 6 × 10 s + 31 s of retries per call (30 s made that 211 s).
    /// </summary>
    public static readonly TimeSpan DefaultRpcTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of each unary RPC attempt (<see cref="DefaultRpcTimeout"/>).</summary>
    public TimeSpan RpcTimeout { get; init; } = DefaultRpcTimeout;

    /// <summary>
    /// The bearer token the channel sends: read again when the control plane answers
    /// Unauthenticated (<see cref="ControlPlaneCalls"/>), and every token it held masked
    /// (<see cref="Secrets"/>). Null: nothing to re-read or mask.
    /// </summary>
    public Channel.TokenSource? Token { get; init; }

    /// <summary>
    /// What is masked in everything the agent ships or writes: the same registry as its
    /// diagnostics', so that they mask the task's secrets too. The token's are added to it.
    /// </summary>
    public Masking.SecretRegistry Secrets { get; init; } = new();

    /// <summary>Unit of the <see cref="Backoff"/> schedule (1 s: retries over 31 s in all).</summary>
    public TimeSpan BackoffUnit { get; init; } = TimeSpan.FromSeconds(1);
}
