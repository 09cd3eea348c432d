using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Dials the control plane: one HTTP/2 connection (SocketsHttpHandler) shared by every RPC and
/// the log stream, plaintext or TLS 1.2+, the server verified against the system roots or only
/// against the given CA bundle, with a connect timeout and keep-alive pings. Dialing is lazy.
/// </summary>
public static class AgentChannel
{
    public static AgentConnection Dial(ChannelOptions options)
    {
        var sockets = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            ConnectTimeout = ChannelOptions.ConnectTimeout,
            KeepAlivePingDelay = ChannelOptions.KeepAlivePingDelay,
            KeepAlivePingTimeout = ChannelOptions.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                CertificateChainPolicy = options.TrustedCas is null ? null : CustomRootPolicy(options.TrustedCas),
            },
        };
        var http = new AgentHttpHandler(options.Token, sockets);
        var channel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions { HttpHandler = http, DisposeHttpClient = true });
        return new AgentConnection(channel, http, options.Address);
    }

    /// <summary>Loads a PEM CA bundle (one or more certificates).</summary>
    /// <exception cref="ConfigurationException">Missing, unreadable, not PEM, or no certificate in it.</exception>
    public static X509Certificate2Collection LoadCaBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        try { bundle.ImportFromPemFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"LEOFLOW_AGENT_TLS_CA \"{path}\" cannot be read: {e.Message}");
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException($"LEOFLOW_AGENT_TLS_CA \"{path}\" is not a valid PEM certificate bundle: {e.Message}");
        }
        if (bundle.Count == 0) throw new ConfigurationException($"LEOFLOW_AGENT_TLS_CA \"{path}\" holds no certificate");
        return bundle;
    }

    /// <summary>Trust exactly these CAs (not the system roots); expiry and host name are still checked.</summary>
    private static X509ChainPolicy CustomRootPolicy(X509Certificate2Collection cas)
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
