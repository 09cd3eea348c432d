using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Leoflow.Agent.V1;

namespace LeoFlow.Bench;

/// <summary>The unary half of the minimal sink: every answer is the smallest one the agent accepts.</summary>
internal sealed class SinkService(SinkPlane plane) : AgentService.AgentServiceBase
{
    public override Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context) =>
        Task.FromResult(new RegisterResponse { SessionId = "bench" });

    public override Task<TaskSpec> GetTaskSpec(GetTaskSpecRequest request, ServerCallContext context) =>
        Task.FromResult(plane.Run.Spec);

    public override Task<GetVariablesResponse> GetVariables(GetVariablesRequest request, ServerCallContext context)
    {
        var reply = new GetVariablesResponse();
        foreach (var (key, value) in plane.Run.Variables) reply.Variables[key] = value;
        return Task.FromResult(reply);
    }

    public override Task<GetConnectionsResponse> GetConnections(GetConnectionsRequest request, ServerCallContext context) =>
        Task.FromResult(new GetConnectionsResponse());

    public override Task<PushXComResponse> PushXCom(PushXComRequest request, ServerCallContext context) =>
        Task.FromResult(new PushXComResponse { Accepted = true });

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(new HeartbeatResponse { ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) });

    public override Task<ReportStateResponse> ReportState(ReportStateRequest request, ServerCallContext context)
    {
        plane.Run.Report(request);
        return Task.FromResult(new ReportStateResponse { Acknowledged = true });
    }
}
