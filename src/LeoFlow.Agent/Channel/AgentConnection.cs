using LeoFlow.Agent.Rpc;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The dialed control plane: one HTTP/2 connection carrying the unary calls (<see cref="Client"/>)
/// and the log stream (Logs/LogStreamCall), every request with the bearer token.
/// </summary>
public sealed class AgentConnection : IDisposable
{
    internal AgentConnection(HttpMessageHandler http, Uri address)
    {
        Http = new HttpMessageInvoker(http, disposeHandler: true);
        Address = address;
        Client = new AgentClient(Http, address);
    }

    public AgentClient Client { get; }

    /// <summary>Sends requests on the channel's connection, with the bearer token.</summary>
    public HttpMessageInvoker Http { get; }

    public Uri Address { get; }

    public void Dispose() => Http.Dispose();
}
