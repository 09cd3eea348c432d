using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>How to reach the control plane; validated once at start, immutable.</summary>
public sealed record ChannelOptions(Uri Address, TokenSource Token, X509Certificate2Collection? TrustedCas)
{
    /// <summary>TCP + TLS connect timeout.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Idle time before an HTTP/2 PING checks that the control plane is still there.</summary>
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long a PING may go unanswered before the connection is declared dead.</summary>
    public static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

    public bool UseTls => Address.Scheme == Uri.UriSchemeHttps;
}
