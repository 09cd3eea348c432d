using System.Net.Http.Headers;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Puts <c>authorization: Bearer &lt;token&gt;</c> on every HTTP/2 request of the channel, so
/// unary calls and the log stream alike carry it, in plaintext as in TLS (grpc-dotnet's call
/// credentials refuse plaintext channels; the control plane needs the header on both).
/// </summary>
internal sealed class BearerTokenHandler(TokenSource token, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());
        return base.SendAsync(request, cancellationToken);
    }
}
