using System.Net.Http.Headers;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The channel's HTTP layer, shared by the generated client and the log stream so both use one
/// HTTP/2 connection. It puts <c>authorization: Bearer &lt;token&gt;</c> on every request, in
/// plaintext as in TLS (grpc-dotnet's call credentials refuse plaintext channels; the control
/// plane needs the header on both), read from the token source each time so that a rotated token
/// file is picked up. It deliberately hides the SocketsHttpHandler from grpc-dotnet (it is not a
/// DelegatingHandler): seeing one, grpc-dotnet takes over its connection callback for its own load
/// balancing, and requests it did not make itself (the log stream) would then fail.
/// </summary>
internal sealed class AgentHttpHandler(TokenSource token, HttpMessageHandler transport) : HttpMessageHandler
{
    private readonly HttpMessageInvoker _transport = new(transport, disposeHandler: true);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());
        return _transport.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _transport.Dispose();
        base.Dispose(disposing);
    }
}
