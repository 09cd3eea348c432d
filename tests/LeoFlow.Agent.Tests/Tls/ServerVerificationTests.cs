using System.Security.Authentication;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>The agent verifies the control plane's certificate: chain to the configured CAs, dates, host name.</summary>
public sealed class ServerVerificationTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task RightCaSucceedsOverOneTls12PlusConnectionWithSni()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server());

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane, host: "localhost"));

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        var sessions = plane.Record.TlsSessions.ToArray();
        Assert.NotEmpty(sessions);
        Assert.All(sessions, s => Assert.Equal("localhost", s.ServerName));
        Assert.All(sessions, s => Assert.True(s.Protocol is SslProtocols.Tls12 or SslProtocols.Tls13, s.Protocol.ToString()));
        Assert.Single(sessions.Select(s => s.ConnectionId).Distinct());
    }

    [Fact]
    public async Task CaBundleWithTwoCasTrustsTheSecond()
    {
        var second = TestCertificates.CreateCa("Second CA");
        string bundle = TestCertificates.WritePem(_bed.Directory, "bundle.pem", TestCertificates.CreateCa("Unrelated CA"), second);
        await using var plane = await DevControlPlane.StartAsync(certificate: TestCertificates.IssueServer(second));
        var settings = _bed.Settings(plane);
        settings["LEOFLOW_AGENT_TLS_CA"] = bundle;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
    }

    [Fact]
    public async Task UnrelatedCaFailsNamingUnknownAuthorityWithoutRetryOrToken()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: TestCertificates.IssueServer(TestCertificates.CreateCa("Impostor CA")));

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("TLS: server certificate for 127.0.0.1 is not trusted by LEOFLOW_AGENT_TLS_CA (unknown authority)", run.Result.Error);
        Assert.DoesNotContain("retrying", run.Diagnostics);
        Assert.Empty(plane.Record.Authorizations);   // the token never reached the unverified server
    }

    [Fact]
    public async Task WithoutCaSettingTheSystemRootsDoNotTrustATestCa()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server());
        var settings = _bed.Settings(plane);
        settings.Remove("LEOFLOW_AGENT_TLS_CA");

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.False(run.Result.Succeeded);
        Assert.Contains("is not trusted by the system's root certificates (unknown authority)", run.Result.Error);
        Assert.Empty(plane.Record.Authorizations);
    }

    [Fact]
    public async Task ExpiredCertificateFailsNamingExpiry()
    {
        var expired = TestCertificates.IssueServer(_bed.Ca, notBefore: TimeSpan.FromDays(-10), notAfter: TimeSpan.FromDays(-1));
        await using var plane = await DevControlPlane.StartAsync(certificate: expired);

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("TLS: server certificate for 127.0.0.1 expired at ", run.Result.Error);
        Assert.EndsWith("(expired)", run.Result.Error);
        Assert.DoesNotContain("retrying", run.Diagnostics);
    }

    [Fact]
    public async Task NotYetValidCertificateFailsNamingIt()
    {
        var early = TestCertificates.IssueServer(_bed.Ca, notBefore: TimeSpan.FromDays(1), notAfter: TimeSpan.FromDays(10));
        await using var plane = await DevControlPlane.StartAsync(certificate: early);

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("TLS: server certificate for 127.0.0.1 is not valid before ", run.Result.Error);
        Assert.EndsWith("(not yet valid)", run.Result.Error);
    }

    [Fact]
    public async Task WrongHostNameFailsNamingTheMismatch()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: TestCertificates.IssueServer(_bed.Ca, ["control-plane.example"]));

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("TLS: server certificate for 127.0.0.1 is only valid for control-plane.example (name mismatch)", run.Result.Error);
        Assert.Empty(plane.Record.Authorizations);
    }
}
