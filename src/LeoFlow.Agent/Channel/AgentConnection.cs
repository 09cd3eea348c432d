using Grpc.Net.Client;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Channel;

/// <summary>The dialed control plane: its client, over one HTTP/2 connection.</summary>
public sealed class AgentConnection : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AgentHttpHandler _http;

    internal AgentConnection(GrpcChannel channel, AgentHttpHandler http)
    {
        _channel = channel;
        _http = http;
        Client = new AgentService.AgentServiceClient(channel);
    }

    public AgentService.AgentServiceClient Client { get; }

    /// <summary>Call before opening StreamLogs: completes when that call's headers are sent (or it failed).</summary>
    public Task ExpectLogStream() => _http.ExpectLogStream();

    public void Dispose() => _channel.Dispose();
}
