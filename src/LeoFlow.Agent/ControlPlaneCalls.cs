using Google.Protobuf;
using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent;

/// <summary>Which failures of a call are worth another attempt.</summary>
public enum RetryPolicy
{
    /// <summary>Unavailable (from the transport or the server) and DeadlineExceeded.</summary>
    Transient,
    /// <summary>Only failures to reach the server: its own Unavailable is an answer (e.g. no secrets store).</summary>
    TransportOnly,
    /// <summary>One attempt (heartbeats: the next tick is the retry).</summary>
    None,
}

/// <summary>
/// Runs the generated client's unary RPCs with a deadline each and retries the policy's failures
/// on the <see cref="Backoff"/> schedule, so a control plane that is restarting costs a delay, not
/// the task. It is the agent's one retry policy: the channel's own retries are off. A terminated
/// task does not stop the retries: its FAILED report matters most then, and the schedule is
/// bounded anyway. Whatever the policy, an Unauthenticated answer makes the token file be read
/// again, and if it now holds another token the call gets one more attempt, at once, with it.
/// Every attempt carries the traceparent (and tracestate) of the span the call belongs to; on a
/// CLIENT span (the call's own) the outcome is recorded too: the gRPC status code, the attempts,
/// and any non-OK status as the span's error (OpenTelemetry's gRPC conventions), also where the
/// agent carries on (FetchXCom NotFound, variables unavailable).
/// </summary>
public sealed class ControlPlaneCalls(IDiagnostics diagnostics, TimeSpan timeout, TimeSpan backoffUnit, TokenSource? token = null)
{
    public async Task<T> CallAsync<T>(string name, TraceSpan span, Func<CallOptions, AsyncUnaryCall<T>> call, RetryPolicy policy = RetryPolicy.Transient, CancellationToken cancel = default)
    {
        var headers = new Metadata { { "traceparent", span.TraceParent } };
        if (span.Trace.TraceState is { } state) headers.Add("tracestate", state);
        bool client = span.IsClient;
        if (client) span.Set("rpc.system", "grpc").Set("rpc.service", Service).Set("rpc.method", name);
        bool reauthenticated = false;
        for (int attempt = 1; ; attempt++)
        {
            RpcException failure;
            int version = token?.Version ?? 0;
            try
            {
                using var rpc = call(new CallOptions(headers, DateTime.UtcNow + timeout, cancel));
                var reply = await rpc.ResponseAsync.ConfigureAwait(false);
                if (client) Outcome(span, StatusCode.OK, attempt);
                return reply;
            }
            catch (RpcException e)
            {
                failure = Named(e, name, cancel);
            }
            if (!reauthenticated && failure.StatusCode == StatusCode.Unauthenticated && !cancel.IsCancellationRequested
                && token is not null && token.Reload() != version)
            {
                reauthenticated = true;
                diagnostics.Info($"{name} was refused (Unauthenticated) and the token file holds a new token; trying once more with it");
                continue;
            }
            if (!ShouldRetry(failure, policy) || cancel.IsCancellationRequested || Backoff.Jittered(attempt, backoffUnit) is not { } delay)
            {
                var final = attempt == 1 && !IsBareDeadline(failure) ? failure : Explained(failure, attempt);
                if (client) Outcome(span, final.StatusCode, attempt).Fail(Describe(final));
                throw final;
            }
            diagnostics.Warn($"{name} failed; retrying in {delay.TotalSeconds:0.###} s (retry {attempt} of {Backoff.MaxAttempts})", Describe(Explained(failure, 1)));
            await Task.Delay(delay).ConfigureAwait(false);
        }
    }

    private const string Service = "leoflow.agent.v1.AgentService";

    private static TraceSpan Outcome(TraceSpan span, StatusCode code, int attempts)
    {
        span.Set("rpc.grpc.status_code", (long)code);
        return attempts > 1 ? span.Set("leoflow.rpc.attempts", (long)attempts) : span;
    }

    /// <summary>
    /// Where Grpc.Net.Client's reading would mislead: a response that is not a valid message is
    /// Internal (the library calls it Unavailable, as the parser's exception is an IOException, so
    /// it would be retried), and a call the agent gave up says which call it was.
    /// </summary>
    private static RpcException Named(RpcException e, string name, CancellationToken cancel) => e switch
    {
        { StatusCode: StatusCode.Cancelled } when cancel.IsCancellationRequested =>
            new RpcException(new Status(StatusCode.Cancelled, $"{name} was cancelled by the agent")),
        { Status.DebugException: InvalidProtocolBufferException invalid } =>
            new RpcException(new Status(StatusCode.Internal, $"{name}: the response is not a valid message ({invalid.Message})", invalid)),
        _ => e,
    };

    /// <summary>A deadline the agent saw pass carries no detail: "DeadlineExceeded: " says nothing.</summary>
    private static bool IsBareDeadline(RpcException e) => e.StatusCode == StatusCode.DeadlineExceeded && e.Status.Detail.Length == 0;

    /// <summary>The failure with what the agent knows about it: the deadline it missed, how often it tried.</summary>
    private RpcException Explained(RpcException e, int attempts)
    {
        string detail = IsBareDeadline(e) ? $"no answer within {timeout.TotalSeconds:0.###} s" : e.Status.Detail;
        if (attempts > 1) detail += $" (gave up after {attempts} attempts)";
        return new RpcException(new Status(e.StatusCode, detail, e.Status.DebugException));
    }

    /// <summary>"Unavailable: connection refused" style text for an RPC failure.</summary>
    public static string Describe(RpcException e)
    {
        string detail = e.Status.Detail;
        if (e.Status.DebugException is { } inner && !detail.Contains(inner.Message, StringComparison.Ordinal))
            detail = detail.Length == 0 ? inner.Message : $"{detail} ({inner.Message})";
        return $"{GrpcHttp.Name(e.StatusCode)}: {detail}";
    }

    private static bool ShouldRetry(RpcException e, RetryPolicy policy) => e.Status.DebugException is not ChannelSecurityException && policy switch
    {
        RetryPolicy.Transient => e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded,
        RetryPolicy.TransportOnly => e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null,
        _ => false,
    };
}
