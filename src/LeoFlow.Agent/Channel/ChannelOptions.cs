using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>How to reach the control plane; validated once at start, immutable.</summary>
/// <param name="Address">http:// (plaintext) or https:// (TLS) with host and port.</param>
/// <param name="Token">The bearer token put on every call.</param>
/// <param name="TrustedCas">TLS only: the CAs trusted instead of the system roots (LEOFLOW_AGENT_TLS_CA); null: system roots.</param>
public sealed record ChannelOptions(Uri Address, TokenSource Token, X509Certificate2Collection? TrustedCas)
{
    /// <summary>TCP connect plus TLS handshake, per connection attempt.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Idle time before an HTTP/2 PING checks that the control plane is still there.</summary>
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long a PING may go unanswered before the connection is declared dead.</summary>
    public static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// TLS only: the agent's client certificate for mutual TLS (LEOFLOW_AGENT_TLS_CERT/KEY), leaf
    /// with its private key first, then any intermediates to send with it; null: none.
    /// </summary>
    public X509Certificate2Collection? ClientCertificate { get; init; }

    public bool UseTls => Address.Scheme == Uri.UriSchemeHttps;

    /// <summary>"https://host:port (TLS 1.2+, trusting 2 CAs from LEOFLOW_AGENT_TLS_CA, client certificate CN=x)", for the start-up line.</summary>
    public string Describe()
    {
        if (!UseTls) return $"{Address.GetLeftPart(UriPartial.Authority)} (plaintext)";
        string trust = TrustedCas is null ? "the system's root certificates" : $"{TrustedCas.Count} CA certificate(s) from LEOFLOW_AGENT_TLS_CA";
        string client = ClientCertificate is null ? "" : $", client certificate {ClientCertificate[0].Subject}";
        return $"{Address.GetLeftPart(UriPartial.Authority)} (TLS 1.2+, trusting {trust}{client})";
    }
}
