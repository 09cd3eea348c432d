using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>LEOFLOW_AGENT_TLS_CERT and _KEY present a client certificate to a control plane that requires one.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task RequiredAndPresentedSucceeds()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server(), clientCas: [_bed.Ca]);
        var settings = _bed.Settings(plane);
        foreach (var (k, v) in _bed.ClientCertificateSettings(TestCertificates.IssueClient(_bed.Ca, "agent-7"))) settings[k] = v;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.NotEmpty(plane.Record.TlsSessions);
        Assert.All(plane.Record.TlsSessions, s => Assert.Equal("CN=agent-7", s.ClientCertificateSubject));
    }

    [Fact]
    public async Task RequiredButMissingSaysAClientCertificateIsNeeded()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server(), clientCas: [_bed.Ca]);

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains($"TLS: the control plane at 127.0.0.1:{plane.Port} requires a client certificate (mutual TLS); set LEOFLOW_AGENT_TLS_CERT and LEOFLOW_AGENT_TLS_KEY", run.Result.Error);
        Assert.DoesNotContain("retrying", run.Diagnostics);
        Assert.Empty(plane.Record.Calls);
    }

    [Fact]
    public async Task CertificateFromAnotherCaIsReportedAsRefused()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server(), clientCas: [_bed.Ca]);
        var settings = _bed.Settings(plane);
        foreach (var (k, v) in _bed.ClientCertificateSettings(TestCertificates.IssueClient(TestCertificates.CreateCa("Stranger CA")))) settings[k] = v;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.False(run.Result.Succeeded);
        Assert.Contains("refused the client certificate from LEOFLOW_AGENT_TLS_CERT (CN=leoflow-agent, issued by CN=Stranger CA)", run.Result.Error);
        Assert.Empty(plane.Record.Calls);
    }
}
