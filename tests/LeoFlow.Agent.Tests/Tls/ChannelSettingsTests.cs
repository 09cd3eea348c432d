using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>The transport's fixed settings, as documented on <see cref="ChannelOptions"/>.</summary>
public sealed class ChannelSettingsTests
{
    [Fact]
    public void TlsHandlerUsesOneConnectionTls12PlusH2KeepAliveAndTheCustomRoots()
    {
        var ca = Harness.TestCertificates.CreateCa("Settings CA");
        var cas = new X509Certificate2Collection(ca);
        var options = new ChannelOptions(new Uri("https://cp.example:443"), TokenSource.Fixed("t"), cas);

        using var handler = AgentChannel.CreateSocketsHandler(options, new TlsHandshakeObserver("cp.example", customRoots: true));

        Assert.False(handler.EnableMultipleHttp2Connections);
        Assert.Equal(TimeSpan.FromSeconds(10), handler.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), handler.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), handler.KeepAlivePingTimeout);
        Assert.Equal(HttpKeepAlivePingPolicy.Always, handler.KeepAlivePingPolicy);
        var ssl = handler.SslOptions;
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, ssl.EnabledSslProtocols);
        Assert.Equal([SslApplicationProtocol.Http2], ssl.ApplicationProtocols);
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, ssl.CertificateChainPolicy!.TrustMode);
        Assert.Equal(ca.Thumbprint, Assert.Single(ssl.CertificateChainPolicy.CustomTrustStore).Thumbprint);
        Assert.NotNull(ssl.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void WithoutCaTheSystemRootsAreUsed()
    {
        var options = new ChannelOptions(new Uri("https://cp.example:443"), TokenSource.Fixed("t"), null);

        using var handler = AgentChannel.CreateSocketsHandler(options, new TlsHandshakeObserver("cp.example", customRoots: false));

        Assert.Null(handler.SslOptions.CertificateChainPolicy);
        Assert.NotNull(handler.SslOptions.RemoteCertificateValidationCallback);
    }
}
