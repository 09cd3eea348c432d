using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>SIGTERM to the leoflow-agent executable, as the kubelet sends it when a pod is deleted.</summary>
public sealed class AgentSignalTests
{
    private static ControlPlaneScript Bash(string script) => new() { Spec = new TaskSpec { Operator = "bash", Entrypoint = script } };

    [Fact]
    public async Task SigtermReachesTheTaskWhoseTrapRunsAndTheAgentReportsFailed()
    {
        await using var plane = await DevControlPlane.StartAsync(Bash("trap 'echo got TERM; exit 0' TERM; echo ready; sleep 300 & wait"));
        var ready = ControlPlaneLines.WaitForAsync(plane.Record, "stdout", "ready");
        using var agent = AgentProcess.Start(AgentProcess.EnvironmentFor(plane));

        await ready;
        Assert.Equal(0, Native.kill(agent.Id, Native.SIGTERM));
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 1, run.Stderr);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal("terminated by SIGTERM", final.ErrorMessage);
        Assert.Equal(0, final.ExitCode);   // the trap's own exit status
        var lines = plane.Record.Lines;
        Assert.Contains(lines, l => l is { Stream: "stdout", Message: "got TERM" });
        Assert.Matches(@"^✗ task failed \(exit 0\) in \S+: terminated by SIGTERM$", lines[^1].Message);
        Assert.Contains("terminated by SIGTERM", run.Stderr);
    }

    /// <summary>Requests to stop from a supervisor (tini, dumb-init, a shell) when the agent is not PID 1: like SIGTERM.</summary>
    [Theory]
    [InlineData(Native.SIGHUP, "SIGHUP")]
    [InlineData(Native.SIGQUIT, "SIGQUIT")]
    public async Task SighupAndSigquitStopTheTaskAndTheAgentReportsFailed(int signal, string name)
    {
        await using var plane = await DevControlPlane.StartAsync(Bash("trap 'echo got TERM; exit 0' TERM; echo ready; sleep 300 & wait"));
        var ready = ControlPlaneLines.WaitForAsync(plane.Record, "stdout", "ready");
        using var agent = AgentProcess.Start(AgentProcess.EnvironmentFor(plane));

        await ready;
        Assert.Equal(0, Native.kill(agent.Id, signal));
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 1, run.Stderr);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal("terminated by " + name, final.ErrorMessage);
        Assert.Contains(plane.Record.Lines, l => l is { Stream: "stdout", Message: "got TERM" });
        Assert.Matches($@"^✗ task failed \(exit 0\) in \S+: terminated by {name}$", plane.Record.Lines[^1].Message);
    }

    /// <summary>SIGUSR1 and SIGUSR2 are for the task (reopen logs, dump state): passed on, and the task carries on.</summary>
    [Theory]
    [InlineData(Native.SIGUSR1, "USR1")]
    [InlineData(Native.SIGUSR2, "USR2")]
    public async Task SigusrIsForwardedToTheTaskAndTheAgentCarriesOn(int signal, string name)
    {
        await using var plane = await DevControlPlane.StartAsync(Bash($"trap 'echo got {name}; exit 0' {name}; echo ready; sleep 300 & wait"));
        var ready = ControlPlaneLines.WaitForAsync(plane.Record, "stdout", "ready");
        using var agent = AgentProcess.Start(AgentProcess.EnvironmentFor(plane));

        await ready;
        Assert.Equal(0, Native.kill(agent.Id, signal));
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.Contains(plane.Record.Lines, l => l.Stream == "stdout" && l.Message == "got " + name);
    }

    [Fact]
    public async Task TaskIgnoringSigtermIsKilledAfterTheGracePeriod()
    {
        await using var plane = await DevControlPlane.StartAsync(Bash("trap '' TERM; echo ready; sleep 300 & wait"));
        var ready = ControlPlaneLines.WaitForAsync(plane.Record, "stdout", "ready");
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_AGENT_GRACE_PERIOD"] = "1s";
        using var agent = AgentProcess.Start(env);

        await ready;
        Assert.Equal(0, Native.kill(agent.Id, Native.SIGTERM));
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 1, run.Stderr);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(137, final.ExitCode);
        Assert.Equal("terminated by SIGTERM (killed by SIGKILL)", final.ErrorMessage);
        Assert.Matches(@"^✗ task failed \(exit 137\) in \S+: terminated by SIGTERM \(killed by SIGKILL\)$", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task BackgroundProcessHoldingStdoutDoesNotKeepTheAgentAndDoesNotOutliveIt()
    {
        using var dir = new TempDirectory();
        string marker = Path.Join(dir.Path, "background.pid");
        await using var plane = await DevControlPlane.StartAsync(Bash($"sleep 300 & echo $! > {marker}; echo main done"));

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.Contains(plane.Record.Lines, l => l is { Stream: "stdout", Message: "main done" });
        Assert.Empty(await ProcessWatch.AliveAfterWaitAsync([ProcessWatch.ReadPid(marker)]));
    }
}
