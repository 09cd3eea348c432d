using System.Collections.Concurrent;
using Grpc.Core;
using Leoflow.Agent.V1;

namespace LeoFlow.ControlPlane;

/// <summary>What the dev control plane serves and how it misbehaves; set before the agent runs.</summary>
public sealed class ControlPlaneScript
{
    /// <summary>The spec GetTaskSpec returns.</summary>
    public TaskSpec Spec { get; set; } = new() { Operator = "bash", Entrypoint = "true" };

    /// <summary>The only bearer token accepted (Unauthenticated otherwise).</summary>
    public string Token { get; set; } = "dev-token";

    /// <summary>Further tokens accepted as well, e.g. the one a rotated token file will hold.</summary>
    public HashSet<string> AlsoAcceptedTokens { get; } = [];

    /// <summary>Runs inside every authenticated call, before it is answered, with the method name.</summary>
    public Action<string>? OnCall { get; set; }

    /// <summary>Stored XCom values by upstream task id (key return_value).</summary>
    public ConcurrentDictionary<string, byte[]> XComs { get; } = new();

    public Dictionary<string, string> Variables { get; } = [];
    public Dictionary<string, string> Connections { get; } = [];

    /// <summary>False: GetVariables/GetConnections answer Unavailable "secrets delivery is not configured".</summary>
    public bool SecretsConfigured { get; set; } = true;

    /// <summary>False: secrets are refused (PermissionDenied) on a plaintext connection, as in production.</summary>
    public bool AllowInsecureSecrets { get; set; } = true;

    /// <summary>Pushed values over this size are rejected with payload_too_large.</summary>
    public int MaxXComBytes { get; set; } = 256 * 1024;

    /// <summary>Heartbeat answers should_terminate once this many heartbeats arrived (0: never).</summary>
    public int TerminateAfterHeartbeats { get; set; }

    /// <summary>Methods answered with Unimplemented.</summary>
    public HashSet<string> Unimplemented { get; } = [];

    /// <summary>Per method: how many first calls fail, and with which code.</summary>
    public ConcurrentDictionary<string, (int Remaining, StatusCode Code)> Failures { get; } = new();

    /// <summary>
    /// Makes the first <paramref name="count"/> calls of <paramref name="method"/> fail with <paramref name="code"/>.
    /// A method is a name ("Register") or, for ReportState, a name and a state ("ReportState:SUCCESS").
    /// </summary>
    public void FailFirst(string method, int count, StatusCode code = StatusCode.Unavailable) => Failures[method] = (count, code);

    /// <summary>Per method (named as for <see cref="FailFirst"/>): awaited before the call is answered.</summary>
    public ConcurrentDictionary<string, Func<ControlPlaneRecord, CancellationToken, Task>> Hooks { get; } = new();

    /// <summary>
    /// Runs <paramref name="hook"/> before every answer to <paramref name="method"/>; the token is the
    /// call's (cancelled at the agent's deadline or when it gives up), so nothing outlives the call.
    /// </summary>
    public void Before(string method, Func<ControlPlaneRecord, CancellationToken, Task> hook) => Hooks[method] = hook;

    /// <summary>Accepts <paramref name="method"/> and never answers it: only the agent's deadline ends the call.</summary>
    public void Hang(string method) => Before(method, (_, cancel) => Task.Delay(Timeout.Infinite, cancel));

    /// <summary>The first StreamLogs call is reset (RST_STREAM) once this many lines arrived on it (0: never).</summary>
    public int BreakLogStreamAfterLines { get; set; }

    /// <summary>
    /// Answer every log line with a LogAck, as the contract allows though the Go control plane
    /// never does: response headers and messages then arrive while the stream is open.
    /// </summary>
    public bool AcknowledgeLogLines { get; set; }

    /// <summary>With <see cref="BreakLogStreamAfterLines"/>: break every StreamLogs call, not only the first.</summary>
    public bool BreakEveryLogStream { get; set; }

    /// <summary>
    /// Every StreamLogs call stops reading once this many lines arrived on it, without ending: the
    /// agent's writes block when HTTP/2 flow control runs out (0: never).
    /// </summary>
    public int StallLogStreamAfterLines { get; set; }

    /// <summary>
    /// Every StreamLogs call reads slowly once this many lines arrived on it: a pause of about a
    /// millisecond every <see cref="SlowLogStreamBatch"/> lines, as a busy control plane would (0: never).
    /// </summary>
    public int SlowLogStreamAfterLines { get; set; }

    /// <summary>With <see cref="SlowLogStreamAfterLines"/>: lines read between two pauses.</summary>
    public int SlowLogStreamBatch { get; set; } = 10;

    /// <summary>
    /// Kestrel's HTTP/2 receive windows (null: Kestrel's 768 KiB a stream; at least 65,535). A small one, like
    /// grpc-go's 64 KiB, makes the control plane's reading visible to the agent as flow control.
    /// </summary>
    public int? StreamWindowBytes { get; set; }
}
