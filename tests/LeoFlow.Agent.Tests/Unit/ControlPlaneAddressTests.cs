using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class ControlPlaneAddressTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("no")]
    [InlineData("False")]
    [InlineData("FALSE")]
    [InlineData(" false")]
    [InlineData("true")]
    public void HostPortIsPlaintextUnlessInsecureIsExactlyFalse(string? insecure) =>
        Assert.Equal("http://leoflow-server:9091/", ControlPlaneAddress.Parse("leoflow-server:9091", insecure).ToString());

    [Fact]
    public void HostPortWithInsecureFalseIsTls() =>
        Assert.Equal("https://leoflow-server:9091/", ControlPlaneAddress.Parse("leoflow-server:9091", "false").ToString());

    [Theory]
    [InlineData("http://cp.example:9091", null, "http://cp.example:9091/")]
    [InlineData("http://cp.example:9091", "false", "http://cp.example:9091/")]
    [InlineData("https://cp.example:443", null, "https://cp.example/")]
    [InlineData("https://cp.example", "1", "https://cp.example/")]
    [InlineData("HTTPS://CP.example:8443/", null, "https://cp.example:8443/")]
    public void AnExplicitSchemeDecidesTheTransport(string address, string? insecure, string expected) =>
        Assert.Equal(expected, ControlPlaneAddress.Parse(address, insecure).ToString());

    [Theory]
    [InlineData("dns:///leoflow-server:9091", null, "http://leoflow-server:9091/")]
    [InlineData("dns:///leoflow-server:9091", "false", "https://leoflow-server:9091/")]
    [InlineData("  10.0.0.7:9091  ", null, "http://10.0.0.7:9091/")]
    public void GrpcGoFormsAreAccepted(string address, string? insecure, string expected) =>
        Assert.Equal(expected, ControlPlaneAddress.Parse(address, insecure).ToString());

    [Fact]
    public void Ipv6LiteralWithPort()
    {
        var uri = ControlPlaneAddress.Parse("[::1]:9091", null);
        Assert.Equal("http", uri.Scheme);
        Assert.Equal("[::1]", uri.Host);
        Assert.Equal(9091, uri.Port);
        Assert.True(ControlPlaneAddress.IsLoopback(uri));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("ftp://x:1", "unsupported scheme")]
    [InlineData("unix:///var/run/cp.sock", "unsupported scheme")]
    [InlineData("cp.example:9091/path", "path")]
    [InlineData("http://cp.example:9091/agent", "path")]
    [InlineData("cp.example:9091?x=1", "query")]
    [InlineData("user@cp.example:9091", "user name")]
    [InlineData("cp.example", "missing port")]
    [InlineData("dns:///cp.example", "missing port")]
    [InlineData("cp.example:", "missing port")]
    [InlineData("[::1]", "missing port")]
    [InlineData("cp.example:port", "not a host:port")]
    public void OtherFormsAreConfigurationErrors(string address, string why)
    {
        var e = Assert.Throws<ConfigurationException>(() => ControlPlaneAddress.Parse(address, null));
        Assert.Contains("LEOFLOW_CONTROL_PLANE_ADDR", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("http://localhost:1", true)]
    [InlineData("http://127.0.0.1:1", true)]
    [InlineData("http://127.8.9.10:1", true)]
    [InlineData("http://[::1]:1", true)]
    [InlineData("http://10.0.0.1:1", false)]
    [InlineData("http://cp.example:1", false)]
    public void LoopbackIsRecognised(string uri, bool loopback) =>
        Assert.Equal(loopback, ControlPlaneAddress.IsLoopback(new Uri(uri)));
}
