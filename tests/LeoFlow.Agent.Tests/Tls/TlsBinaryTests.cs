using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>The leoflow-agent executable over TLS, configured as the Kubernetes executor configures it.</summary>
public sealed class TlsBinaryTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task MutualTlsWithTokenFileRunsTheTaskWhichSeesNoAgentCredential()
    {
        const string token = "binary-secret-token";
        var script = new ControlPlaneScript { Token = token, Spec = new TaskSpec { Operator = "bash", Entrypoint = "env" } };
        await using var plane = await DevControlPlane.StartAsync(script, _bed.Server(), clientCas: [_bed.Ca]);
        string tokenFile = Path.Join(_bed.Directory, "token");
        File.WriteAllText(tokenFile, token + "\n");
        var env = AgentProcess.EnvironmentFor(plane);
        env.Remove("LEOFLOW_AGENT_TOKEN");
        env["LEOFLOW_AGENT_TOKEN_FILE"] = tokenFile;
        env["LEOFLOW_AGENT_INSECURE"] = "false";   // host:port + "false": TLS, as the executor sets it
        env["LEOFLOW_AGENT_TLS_CA"] = _bed.CaFile;
        foreach (var (k, v) in _bed.ClientCertificateSettings(TestCertificates.IssueClient(_bed.Ca, "agent-binary"))) env[k] = v;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.All(plane.Record.TlsSessions, s => Assert.Equal("CN=agent-binary", s.ClientCertificateSubject));
        var printed = plane.Record.Lines.Where(l => l.Stream == "stdout").Select(l => l.Message).ToArray();
        Assert.Contains(printed, l => l.StartsWith("LEOFLOW_AGENT_TLS_CA=", StringComparison.Ordinal));   // env did print the agent's variables
        Assert.DoesNotContain(printed, l => l.StartsWith("LEOFLOW_AGENT_TOKEN", StringComparison.Ordinal) || l.StartsWith("LEOFLOW_AGENT_TLS_KEY=", StringComparison.Ordinal));
        Assert.DoesNotContain(printed, l => l.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(token, run.Stderr);
        Assert.Contains("(TLS 1.2+, trusting 1 CA certificate(s) from LEOFLOW_AGENT_TLS_CA, client certificate CN=agent-binary)", run.Stderr);
    }

    [Fact]
    public async Task UnknownAuthorityEndsWithOneLineNamingItAndExitOne()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: TestCertificates.IssueServer(TestCertificates.CreateCa("Impostor CA")));
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_CONTROL_PLANE_ADDR"] = $"https://127.0.0.1:{plane.Port}";
        env["LEOFLOW_AGENT_TLS_CA"] = _bed.CaFile;

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(1, run.ExitCode);
        string last = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("\"level\":\"ERROR\"", last);
        Assert.Contains("TLS: server certificate for 127.0.0.1 is not trusted by LEOFLOW_AGENT_TLS_CA (unknown authority)", last);
        Assert.DoesNotContain("retrying", run.Stderr);
        Assert.Empty(plane.Record.Authorizations);
    }

    public static TheoryData<string, string> HandshakeFailures => new()
    {
        { "plaintext server", "does not speak TLS" },
        { "TLS 1.1 server", "only speaks a TLS version older than 1.2 (TLS version too old)" },
        { "mutual TLS server", "requires a client certificate (mutual TLS); set LEOFLOW_AGENT_TLS_CERT and LEOFLOW_AGENT_TLS_KEY" },
    };

    /// <summary>These are classified from the handshake's errors, which the Native AOT build words differently: check it too.</summary>
    [Theory]
    [MemberData(nameof(HandshakeFailures))]
    public async Task HandshakeFailuresAreNamedWithoutRetry(string server, string expected)
    {
        // The TLS 1.1 case dials the fake server; its plane only supplies the agent's environment.
        await using var plane = server == "mutual TLS server"
            ? await DevControlPlane.StartAsync(certificate: _bed.Server(), clientCas: [_bed.Ca])
            : await DevControlPlane.StartAsync();
        await using var old = new FakeTlsServer(FakeTlsServer.Tls11ServerHello());
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_CONTROL_PLANE_ADDR"] = $"https://127.0.0.1:{(server == "TLS 1.1 server" ? old.Port : plane.Port)}";
        env["LEOFLOW_AGENT_TLS_CA"] = _bed.CaFile;

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(1, run.ExitCode);
        Assert.True(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Contains(expected, StringComparison.Ordinal), run.Stderr);
        Assert.DoesNotContain("retrying", run.Stderr);
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { "LEOFLOW_AGENT_TLS_CA=<not PEM>", "LEOFLOW_AGENT_TLS_CA" },
        { "LEOFLOW_AGENT_TLS_CERT alone", "LEOFLOW_AGENT_TLS_CERT is set without LEOFLOW_AGENT_TLS_KEY" },
        { "LEOFLOW_CONTROL_PLANE_ADDR=ftp://", "LEOFLOW_CONTROL_PLANE_ADDR" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task BadTlsSettingsExitTwoWithOneLineBeforeAnyConnection(string setting, string expected)
    {
        string notPem = Path.Join(_bed.Directory, "not.pem");
        File.WriteAllText(notPem, "hello\n");
        var env = new Dictionary<string, string?>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = "https://127.0.0.1:9",
            ["LEOFLOW_AGENT_TOKEN"] = "config-secret",
            ["LEOFLOW_AGENT_TLS_CA"] = _bed.CaFile,
        };
        if (setting.StartsWith("LEOFLOW_AGENT_TLS_CA", StringComparison.Ordinal)) env["LEOFLOW_AGENT_TLS_CA"] = notPem;
        else if (setting.StartsWith("LEOFLOW_AGENT_TLS_CERT", StringComparison.Ordinal)) env["LEOFLOW_AGENT_TLS_CERT"] = _bed.CaFile;
        else env["LEOFLOW_CONTROL_PLANE_ADDR"] = "ftp://127.0.0.1:21";

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("configuration error", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("config-secret", line);
    }
}
