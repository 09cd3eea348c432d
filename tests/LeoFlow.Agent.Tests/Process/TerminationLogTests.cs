using System.Text;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>The one-line failure reason Kubernetes shows as the container's termination message.</summary>
public sealed class TerminationLogTests
{
    [Fact]
    public void DefaultsToTheKubernetesPathAndIsOffWhenSetEmpty()
    {
        var diagnostics = new RecordingDiagnostics();

        Assert.Equal("/dev/termination-log", TerminationLog.FromEnvironment(new Dictionary<string, string>(), new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), diagnostics).Path);
        Assert.Equal("/x/log", TerminationLog.FromEnvironment(new Dictionary<string, string> { ["LEOFLOW_AGENT_TERMINATION_LOG"] = "/x/log" }, new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), diagnostics).Path);
        Assert.Null(TerminationLog.FromEnvironment(new Dictionary<string, string> { ["LEOFLOW_AGENT_TERMINATION_LOG"] = "" }, new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), diagnostics).Path);
    }

    [Fact]
    public void TheDefaultFileIsWrittenOnlyWhenItExists()
    {
        using var dir = new TempDirectory();
        string path = Path.Join(dir.Path, "termination-log");
        var log = new TerminationLog(path, create: false, new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), new RecordingDiagnostics());

        log.Write("first");
        Assert.False(File.Exists(path));

        File.WriteAllText(path, "an older and longer message");
        log.Write("second");
        Assert.Equal("second", File.ReadAllText(path));
    }

    [Fact]
    public void TheReasonIsOneLineOfAtMost4096Bytes()
    {
        using var dir = new TempDirectory();
        string path = Path.Join(dir.Path, "log");
        var log = new TerminationLog(path, create: true, new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), new RecordingDiagnostics());

        log.Write("exec failed:\nline two\r\nline three\n");
        Assert.Equal("exec failed: line two line three", File.ReadAllText(path));

        log.Write(new string('x', 4095) + "€€");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(4095, bytes.Length);   // the € that would straddle 4096 is left out whole
        Assert.Equal(new string('x', 4095), Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void AnUnwritablePathIsAWarningNotAFailure()
    {
        var diagnostics = new RecordingDiagnostics();
        var log = new TerminationLog("/nonexistent-dir/termination-log", create: true, new OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()), diagnostics);

        log.Write("reason");

        Assert.Contains(diagnostics.Entries, e => e.StartsWith("Warn cannot write the termination log /nonexistent-dir/termination-log", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheExecutableWritesTheFailureReason()
    {
        using var dir = new TempDirectory();
        string path = Path.Join(dir.Path, "termination-log");
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "kill -HUP $$" } });
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_AGENT_TERMINATION_LOG"] = path;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 1, run.Stderr);
        Assert.Equal("killed by SIGHUP", File.ReadAllText(path));
        Assert.Equal("killed by SIGHUP", (await plane.Record.FinalState).ErrorMessage);
    }

    [Fact]
    public async Task TheExecutableWritesAConfigurationError()
    {
        using var dir = new TempDirectory();
        string path = Path.Join(dir.Path, "termination-log");

        var run = await AgentProcess.RunAsync(new Dictionary<string, string?> { ["LEOFLOW_AGENT_TOKEN"] = "t", ["LEOFLOW_AGENT_TERMINATION_LOG"] = path });

        Assert.Equal(2, run.ExitCode);
        string reason = File.ReadAllText(path);
        Assert.StartsWith("configuration error: ", reason);
        Assert.Contains("LEOFLOW_CONTROL_PLANE_ADDR", reason);
    }
}
