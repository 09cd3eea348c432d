using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Leoflow.Agent.V1;

namespace LeoFlow.ControlPlane;

/// <summary>
/// AgentService as the real control plane behaves (docs/protocol.md, "What the agent relies on from
/// the control plane"): token checked on every call, XCom isolation and size limit, secrets
/// refused on plaintext unless allowed, StreamLogs reads until the client half-closes and never
/// acknowledges. Plus the script's faults.
/// </summary>
internal sealed class AgentServiceImpl(ControlPlaneScript script, ControlPlaneRecord record) : AgentService.AgentServiceBase
{
    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(Register), context, request);
        record.Registrations.Enqueue(request);
        return new RegisterResponse { SessionId = "ti-dev-1", ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) };
    }

    public override async Task<TaskSpec> GetTaskSpec(GetTaskSpecRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(GetTaskSpec), context, request);
        return script.Spec;
    }

    public override async Task<FetchXComResponse> FetchXCom(FetchXComRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(FetchXCom), context, request);
        record.XComFetches.Enqueue(request);
        if (!script.Spec.XcomInputMapping.Values.Contains(request.UpstreamTaskId))
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"task did not declare upstream {request.UpstreamTaskId}"));
        string key = request.Key.Length == 0 ? "return_value" : request.Key;
        if (key != "return_value" || !script.XComs.TryGetValue(request.UpstreamTaskId, out var value))
            throw new RpcException(new Status(StatusCode.NotFound, "xcom not found"));
        return new FetchXComResponse
        {
            Value = Google.Protobuf.ByteString.CopyFrom(value),
            ContentType = "application/json",
            SizeBytes = value.Length,
            CreatedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        };
    }

    public override async Task<PushXComResponse> PushXCom(PushXComRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(PushXCom), context, request);
        if (request.Value.Length > script.MaxXComBytes)
            return new PushXComResponse { Accepted = false, RejectionReason = "payload_too_large" };
        record.Pushed[request.Key.Length == 0 ? "return_value" : request.Key] = request;
        return new PushXComResponse { Accepted = true };
    }

    public override async Task StreamLogs(IAsyncStreamReader<LogLine> requestStream, IServerStreamWriter<LogAck> responseStream, ServerCallContext context)
    {
        await EnterAsync(nameof(StreamLogs), context, null);
        int stream = Interlocked.Increment(ref record._streams);
        record.CurrentLogStream = context.GetHttpContext();
        int received = 0;
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))   // ends when the stream is aborted, too
            {
                record.AddLine(requestStream.Current);
                received++;
                if (script.AcknowledgeLogLines)
                    await responseStream.WriteAsync(new LogAck { AcknowledgedThroughLine = requestStream.Current.LineNumber });
                if ((stream == 1 || script.BreakEveryLogStream) && received == script.BreakLogStreamAfterLines)
                {
                    context.GetHttpContext().Abort();   // RST_STREAM: whatever the agent sent after this is lost
                    return;
                }
                if (received == script.StallLogStreamAfterLines)
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);   // until the agent gives up
                if (script.SlowLogStreamAfterLines > 0 && received > script.SlowLogStreamAfterLines && received % script.SlowLogStreamBatch == 0)
                    await Task.Delay(1, context.CancellationToken);
            }
        }
        catch (IOException) { /* the client went away; what arrived is recorded */ }
        catch (OperationCanceledException) { /* likewise */ }
    }

    public override async Task<ReportStateResponse> ReportState(ReportStateRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(ReportState), context, request, ControlPlaneRecord.StateName(request.State));
        if (request.State == TaskState.Unspecified || !System.Enum.IsDefined(request.State))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "invalid state"));
        record.AddState(request);
        return new ReportStateResponse { Acknowledged = true };
    }

    public override async Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(Heartbeat), context, request);
        int n = Interlocked.Increment(ref record._heartbeats);
        bool terminate = script.TerminateAfterHeartbeats > 0 && n >= script.TerminateAfterHeartbeats;
        return new HeartbeatResponse { ShouldTerminate = terminate, ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) };
    }

    public override async Task<GetVariablesResponse> GetVariables(GetVariablesRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(GetVariables), context, request);
        CheckSecrets(context);
        var reply = new GetVariablesResponse();
        reply.Variables.Add(script.Variables);
        return reply;
    }

    public override async Task<GetConnectionsResponse> GetConnections(GetConnectionsRequest request, ServerCallContext context)
    {
        await EnterAsync(nameof(GetConnections), context, request);
        CheckSecrets(context);
        var reply = new GetConnectionsResponse();
        reply.ConnectionUris.Add(script.Connections);
        return reply;
    }

    /// <summary>
    /// Authenticates like the real server, records the call, applies scripted faults: those of
    /// the method, then those of "method:qualifier" (ReportState's state), then the hooks.
    /// </summary>
    private async Task EnterAsync(string method, ServerCallContext context, Google.Protobuf.IMessage? request, string? qualifier = null)
    {
        record.AddAttempt(method);
        if (request is not null) record.Requests.Enqueue(request);
        string? header = context.RequestHeaders.GetValue("authorization");
        record.Authorizations.Enqueue(header ?? "");
        if (header is null) throw new RpcException(new Status(StatusCode.Unauthenticated, "missing authorization token"));
        string token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : header;
        if (token != script.Token && !script.AlsoAcceptedTokens.Contains(token)) throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid agent token"));
        var http = context.GetHttpContext();
        string key = qualifier is null ? method : $"{method}:{qualifier}";
        record.AddCall(method, key, http.Connection.Id, http.Features.Get<IHttp2StreamIdFeature>()?.StreamId ?? 0);
        record.Headers.Enqueue(new CallHeaders(key, context.RequestHeaders.Where(h => !h.IsBinary).GroupBy(h => h.Key).ToDictionary(g => g.Key, g => g.Last().Value)));
        if (http.Features.Get<ITlsHandshakeFeature>() is { } tls)
            record.TlsSessions.Enqueue(new TlsSession(http.Connection.Id, tls.HostName, tls.Protocol, http.Connection.ClientCertificate?.Subject));
        script.OnCall?.Invoke(method);
        if (script.Unimplemented.Contains(method))
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{method} is not implemented"));
        ScriptedFailure(method);
        if (key != method) ScriptedFailure(key);
        if (script.Hooks.TryGetValue(method, out var hook)) await hook(record, context.CancellationToken);
        if (key != method && script.Hooks.TryGetValue(key, out hook)) await hook(record, context.CancellationToken);
    }

    private void ScriptedFailure(string key)
    {
        while (script.Failures.TryGetValue(key, out var f) && f.Remaining > 0)
        {
            if (script.Failures.TryUpdate(key, (f.Remaining - 1, f.Code), f))
                throw new RpcException(new Status(f.Code, $"scripted failure of {key}"));
        }
    }

    private void CheckSecrets(ServerCallContext context)
    {
        if (!script.SecretsConfigured)
            throw new RpcException(new Status(StatusCode.Unavailable, "secrets delivery is not configured"));
        if (!context.GetHttpContext().Request.IsHttps && !script.AllowInsecureSecrets)
            throw new RpcException(new Status(StatusCode.PermissionDenied, "refusing to send secrets over an insecure channel"));
    }
}
