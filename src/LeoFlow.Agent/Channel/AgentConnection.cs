using Grpc.Net.Client;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The dialed control plane: the generated client for unary calls, and the same HTTP/2
/// connection for the log stream, which the agent speaks directly (see Logs/LogStreamCall).
/// </summary>
public sealed class AgentConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    internal AgentConnection(GrpcChannel channel, HttpMessageHandler http, Uri address)
    {
        _channel = channel;
        Http = new HttpMessageInvoker(http, disposeHandler: false);
        Address = address;
        Client = new AgentService.AgentServiceClient(channel);
    }

    public AgentService.AgentServiceClient Client { get; }

    /// <summary>Sends requests on the channel's connection, with the bearer token.</summary>
    public HttpMessageInvoker Http { get; }

    public Uri Address { get; }

    public void Dispose()
    {
        Http.Dispose();
        _channel.Dispose();
    }
}
