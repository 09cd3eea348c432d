using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Leoflow.Agent.V1;

namespace LeoFlow.ControlPlane;

/// <summary>
/// AgentService as the real control plane behaves (wire-contract.md §4): token checked on every
/// call, XCom isolation and size limit, secrets refused on plaintext unless allowed, StreamLogs
/// reads until the client half-closes and never acknowledges. Plus the script's faults.
/// </summary>
internal sealed class AgentServiceImpl(ControlPlaneScript script, ControlPlaneRecord record) : AgentService.AgentServiceBase
{
    public override Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        Enter(nameof(Register), context);
        record.Registrations.Enqueue(request);
        return Task.FromResult(new RegisterResponse { SessionId = "ti-dev-1", ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) });
    }

    public override Task<TaskSpec> GetTaskSpec(GetTaskSpecRequest request, ServerCallContext context)
    {
        Enter(nameof(GetTaskSpec), context);
        return Task.FromResult(script.Spec);
    }

    public override Task<FetchXComResponse> FetchXCom(FetchXComRequest request, ServerCallContext context)
    {
        Enter(nameof(FetchXCom), context);
        record.XComFetches.Enqueue(request);
        if (!script.Spec.XcomInputMapping.Values.Contains(request.UpstreamTaskId))
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"task did not declare upstream {request.UpstreamTaskId}"));
        string key = request.Key.Length == 0 ? "return_value" : request.Key;
        if (key != "return_value" || !script.XComs.TryGetValue(request.UpstreamTaskId, out var value))
            throw new RpcException(new Status(StatusCode.NotFound, "xcom not found"));
        return Task.FromResult(new FetchXComResponse
        {
            Value = Google.Protobuf.ByteString.CopyFrom(value),
            ContentType = "application/json",
            SizeBytes = value.Length,
            CreatedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        });
    }

    public override Task<PushXComResponse> PushXCom(PushXComRequest request, ServerCallContext context)
    {
        Enter(nameof(PushXCom), context);
        if (request.Value.Length > script.MaxXComBytes)
            return Task.FromResult(new PushXComResponse { Accepted = false, RejectionReason = "payload_too_large" });
        record.Pushed[request.Key.Length == 0 ? "return_value" : request.Key] = request;
        return Task.FromResult(new PushXComResponse { Accepted = true });
    }

    public override async Task StreamLogs(IAsyncStreamReader<LogLine> requestStream, IServerStreamWriter<LogAck> responseStream, ServerCallContext context)
    {
        Enter(nameof(StreamLogs), context);
        Interlocked.Increment(ref record._streams);
        try
        {
            while (await requestStream.MoveNext(CancellationToken.None)) record.AddLine(requestStream.Current);
        }
        catch (IOException) { /* the client went away; what arrived is recorded */ }
        catch (OperationCanceledException) { /* likewise */ }
    }

    public override Task<ReportStateResponse> ReportState(ReportStateRequest request, ServerCallContext context)
    {
        Enter(nameof(ReportState), context);
        if (request.State == TaskState.Unspecified || !System.Enum.IsDefined(request.State))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "invalid state"));
        record.AddState(request);
        return Task.FromResult(new ReportStateResponse { Acknowledged = true });
    }

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        Enter(nameof(Heartbeat), context);
        int n = Interlocked.Increment(ref record._heartbeats);
        bool terminate = script.TerminateAfterHeartbeats > 0 && n >= script.TerminateAfterHeartbeats;
        return Task.FromResult(new HeartbeatResponse { ShouldTerminate = terminate, ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) });
    }

    public override Task<GetVariablesResponse> GetVariables(GetVariablesRequest request, ServerCallContext context)
    {
        Enter(nameof(GetVariables), context);
        CheckSecrets(context);
        var reply = new GetVariablesResponse();
        reply.Variables.Add(script.Variables);
        return Task.FromResult(reply);
    }

    public override Task<GetConnectionsResponse> GetConnections(GetConnectionsRequest request, ServerCallContext context)
    {
        Enter(nameof(GetConnections), context);
        CheckSecrets(context);
        var reply = new GetConnectionsResponse();
        reply.ConnectionUris.Add(script.Connections);
        return Task.FromResult(reply);
    }

    /// <summary>Authenticates like the real server, records the call, applies scripted faults.</summary>
    private void Enter(string method, ServerCallContext context)
    {
        string? header = context.RequestHeaders.GetValue("authorization");
        record.Authorizations.Enqueue(header ?? "");
        if (header is null) throw new RpcException(new Status(StatusCode.Unauthenticated, "missing authorization token"));
        string token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : header;
        if (token != script.Token && !script.AlsoAcceptedTokens.Contains(token)) throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid agent token"));
        var http = context.GetHttpContext();
        record.AddCall(method, http.Connection.Id, http.Features.Get<IHttp2StreamIdFeature>()?.StreamId ?? 0);
        if (http.Features.Get<ITlsHandshakeFeature>() is { } tls)
            record.TlsSessions.Enqueue(new TlsSession(http.Connection.Id, tls.HostName, tls.Protocol, http.Connection.ClientCertificate?.Subject));
        script.OnCall?.Invoke(method);
        if (script.Unimplemented.Contains(method))
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{method} is not implemented"));
        while (script.Failures.TryGetValue(method, out var f) && f.Remaining > 0)
        {
            if (script.Failures.TryUpdate(method, (f.Remaining - 1, f.Code), f))
                throw new RpcException(new Status(f.Code, $"scripted failure of {method}"));
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
