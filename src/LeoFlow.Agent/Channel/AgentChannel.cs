using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Dials the control plane: one HTTP/2 connection (SocketsHttpHandler) shared by every RPC and
/// the log stream, plaintext or TLS 1.2+ (ALPN h2, SNI and host name check by SslStream), the
/// server verified against the system roots or only against the given CA bundle, an optional
/// client certificate, a connect timeout and keep-alive pings. Dialing is lazy.
/// </summary>
public static class AgentChannel
{
    public static AgentConnection Dial(ChannelOptions options)
    {
        var tls = options.UseTls ? new TlsHandshakeObserver(options.Address.Host, options.TrustedCas is not null) : null;
        var sockets = CreateSocketsHandler(options, tls);
        var failures = new TransportFailureHandler(options.Address, tls, options.ClientCertificate?[0], sockets);
        var http = new AgentHttpHandler(options.Token, new GrpcResponseHandler(failures));
        return new AgentConnection(http, options.Address);
    }

    internal static SocketsHttpHandler CreateSocketsHandler(ChannelOptions options, TlsHandshakeObserver? tls) => new()
    {
        // One connection for everything: the log stream and the unary calls share it, and the
        // control plane sees one client. HTTP/2 multiplexes; a second connection buys nothing.
        EnableMultipleHttp2Connections = false,
        ConnectTimeout = ChannelOptions.ConnectTimeout,
        KeepAlivePingDelay = ChannelOptions.KeepAlivePingDelay,
        KeepAlivePingTimeout = ChannelOptions.KeepAlivePingTimeout,
        // Also while no call is active: a silent task may run for hours between heartbeats' RPCs.
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        SslOptions = options.UseTls ? TlsOptions(options, tls!) : new SslClientAuthenticationOptions(),
    };

    private static SslClientAuthenticationOptions TlsOptions(ChannelOptions options, TlsHandshakeObserver tls) => new()
    {
        // TargetHost (SNI, and the name checked) is set by SocketsHttpHandler from the address.
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = [SslApplicationProtocol.Http2],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = options.TrustedCas is null ? null : CustomRootPolicy(options.TrustedCas),
        RemoteCertificateValidationCallback = tls.ValidateServerCertificate,
        // With a certificate: the leaf and its intermediates, sent whenever asked. Without: a
        // callback that answers "none" and notes that the server asked (see TransportFailure).
        ClientCertificateContext = options.ClientCertificate is { } client
            ? SslStreamCertificateContext.Create(client[0], new X509Certificate2Collection(client.Skip(1).ToArray()), offline: true)
            : null,
        LocalCertificateSelectionCallback = options.ClientCertificate is null ? tls.SelectNoClientCertificate : null,
    };

    /// <summary>Trust exactly these CAs (not the system roots); expiry and host name are still checked.</summary>
    internal static X509ChainPolicy CustomRootPolicy(X509Certificate2Collection cas)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(cas);
        return policy;
    }
}
