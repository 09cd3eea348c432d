using Grpc.Net.Client;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The dialed control plane: the generated client for the unary calls, and the same handler (so
/// the same HTTP/2 connection) for the log stream, which the agent frames itself
/// (Logs/LogStreamCall). Every request carries the bearer token.
/// </summary>
public sealed class AgentConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    internal AgentConnection(HttpMessageHandler http, Uri address)
    {
        Http = new HttpMessageInvoker(http, disposeHandler: true);
        Address = address;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = http,
            DisposeHttpClient = false,   // Http owns the handler
            MaxReceiveMessageSize = GrpcHttp.MaxMessageBytes,
            // Stated rather than left unlimited: a return value up to the limit a control plane
            // receives goes out whole (TaskRunner.MaxReturnValueBytes), and nothing larger does.
            MaxSendMessageSize = GrpcHttp.MaxMessageBytes,
            // No service config, so the channel neither retries nor hedges: ControlPlaneCalls is
            // the one retry policy (Backoff), with its own deadlines.
            ServiceConfig = null,
            // The agent sends nothing compressed and asks for nothing compressed.
            CompressionProviders = [],
        });
        Client = AgentService.AgentServiceClient.For(_channel);
    }

    public AgentService.AgentServiceClient Client { get; }

    /// <summary>Sends requests on the channel's connection, with the bearer token.</summary>
    public HttpMessageInvoker Http { get; }

    public Uri Address { get; }

    public void Dispose()
    {
        _channel.Dispose();
        Http.Dispose();
    }
}
