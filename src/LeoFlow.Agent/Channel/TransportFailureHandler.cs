using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Turns a connection failure that <see cref="TransportFailure"/> can name into an Unavailable
/// status whose detail is that one sentence. A permanent one carries a
/// <see cref="ChannelSecurityException"/> as debug exception, which is how
/// <see cref="ControlPlaneCalls"/> knows not to retry it. Without this, a refused certificate
/// reads "The SSL connection could not be established", which nobody can act on, and a connect
/// timeout surfaces as a Cancelled call with no detail, which is not retried either.
/// </summary>
internal sealed class TransportFailureHandler(Uri address, TlsHandshakeObserver? tls, X509Certificate2? clientCertificate, HttpMessageHandler inner)
    : DelegatingHandler(inner)
{
    private volatile bool _answered;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            _answered = true;
            return response;
        }
        catch (HttpRequestException e) when (TransportFailure.Explain(e, address, tls, clientCertificate, _answered) is { } failure)
        {
            // The debug exception carries the same sentence, so that descriptions do not repeat the transport's.
            Exception debug = failure.Permanent ? new ChannelSecurityException(failure.Reason, e) : new HttpRequestException(e.HttpRequestError, failure.Reason, e);
            throw new RpcException(new Status(failure.Code, failure.Reason, debug));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && e.InnerException is TimeoutException)
        {
            // SocketsHttpHandler's ConnectTimeout: the server is unreachable for now, which is what Unavailable (retried) means.
            string reason = $"connecting to the control plane at {address.Authority} timed out after {ChannelOptions.ConnectTimeout.TotalSeconds:0} s"
                + (tls is null ? "" : " (TCP connect and TLS handshake)");
            throw new RpcException(new Status(StatusCode.Unavailable, reason, new HttpRequestException(HttpRequestError.ConnectionError, reason, e)));
        }
    }
}
