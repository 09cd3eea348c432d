using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>LEOFLOW_CONTROL_PLANE_ADDR forms and which transport each one means.</summary>
public sealed class ControlPlaneAddressTests
{
    [Theory]
    [InlineData("cp.example:50051", null, "http://cp.example:50051/")]
    [InlineData("cp.example:50051", "true", "http://cp.example:50051/")]
    [InlineData("cp.example:50051", "False", "http://cp.example:50051/")]
    [InlineData("cp.example:50051", "0", "http://cp.example:50051/")]
    [InlineData("cp.example:50051", "false", "https://cp.example:50051/")]
    [InlineData("dns:///cp.example:50051", "false", "https://cp.example:50051/")]
    [InlineData(" 10.0.0.7:9000 ", null, "http://10.0.0.7:9000/")]
    [InlineData("[::1]:9000", null, "http://[::1]:9000/")]
    [InlineData("http://cp.example:1234", "false", "http://cp.example:1234/")]
    [InlineData("HTTPS://cp.example:1234", null, "https://cp.example:1234/")]
    [InlineData("https://cp.example", null, "https://cp.example/")]
    public void AcceptedForms(string address, string? insecure, string expected)
    {
        Assert.Equal(expected, ControlPlaneAddress.Parse(address, insecure).ToString());
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("cp.example", "missing port")]
    [InlineData("cp.example:", "missing port")]
    [InlineData("cp.example:0", "port 0")]
    [InlineData("cp.example:99999", "not a host:port")]
    [InlineData(":50051", "not a host:port")]
    [InlineData("::1:50051", "not a host:port")]
    [InlineData("ftp://cp.example:21", "unsupported scheme")]
    [InlineData("unix:///run/cp.sock", "unsupported scheme")]
    [InlineData("grpc://cp.example:1", "unsupported scheme")]
    [InlineData("https://cp.example:1/api", "a path, query or user name is not allowed")]
    [InlineData("https://user@cp.example:1", "a path, query or user name is not allowed")]
    [InlineData("cp.example:1?x=y", "a path, query or user name is not allowed")]
    public void RejectedFormsSayWhyInOneLine(string address, string why)
    {
        var e = Assert.Throws<ConfigurationException>(() => ControlPlaneAddress.Parse(address, null));

        Assert.StartsWith("LEOFLOW_CONTROL_PLANE_ADDR", e.Message);
        Assert.Contains(why, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
