using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>A control plane that accepts calls and never answers is caught by deadlines, not waited on forever.</summary>
public sealed class HangTests
{
    private static readonly TimeSpan ShortDeadline = TimeSpan.FromMilliseconds(300);

    private static int Retries(InProcessRun run, string method) =>
        run.Diagnostics.Split('\n').Count(l => l.Contains($"\"{method} failed; retrying in ", StringComparison.Ordinal) && l.Contains("DeadlineExceeded", StringComparison.Ordinal));

    [Fact]
    public async Task HungGetTaskSpecEndsTheRunWithAClearError()
    {
        var script = Tasks.Bash("echo should not run");
        script.Hang("GetTaskSpec");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.RpcTimeout = ShortDeadline);

        Assert.False(run.Result.Succeeded);
        Assert.Equal("control plane unreachable or refused the agent: DeadlineExceeded: no answer within 0.3 s (gave up after 6 attempts)", run.Result.Error);
        // A deadline is worth retrying. Counted by the agent: an attempt whose deadline passes
        // before its request leaves (a busy machine) never reaches the control plane.
        Assert.Equal(Backoff.MaxAttempts, Retries(run, "GetTaskSpec"));
        Assert.InRange(plane.Record.CallCount("GetTaskSpec"), 1, 1 + Backoff.MaxAttempts);
        Assert.Empty(plane.Record.States);
    }

    [Fact]
    public async Task HungFinalReportEndsTheRunWithAClearError()
    {
        var script = Tasks.Bash("echo ran");
        script.Hang("ReportState:SUCCESS");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.RpcTimeout = ShortDeadline);

        Assert.False(run.Result.Succeeded);
        Assert.Equal("reporting SUCCESS: DeadlineExceeded: no answer within 0.3 s (gave up after 6 attempts)", run.Result.Error);
        Assert.Equal(Backoff.MaxAttempts, Retries(run, "ReportState"));
        Assert.Equal(["ran"], plane.Record.Messages("stdout"));
        Assert.Equal([TaskState.Running], plane.Record.States.Select(s => s.State));
    }

    [Fact]
    public async Task HungHeartbeatsDoNotHoldUpTheTask()
    {
        using var dir = new TempDirectory();
        string flag = Path.Join(dir.Path, "go");
        var script = Tasks.Bash($"while [ ! -e '{flag}' ]; do sleep 0.05; done; echo done");
        script.Hang("Heartbeat");
        await using var plane = await DevControlPlane.StartAsync(script);

        var agent = InProcessAgent.RunAsync(Ports.Http(plane.Port), script.Token, s =>
        {
            s.RpcTimeout = ShortDeadline;
            s.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        });
        await RunWaits.UntilAsync(plane.Record.WhenCalledAsync("Heartbeat", 3), agent, "three heartbeats were sent");
        await File.WriteAllTextAsync(flag, "");
        var run = await agent.WaitAsync(InProcessAgent.Timeout);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Contains("\"heartbeat failed\",\"error\":\"DeadlineExceeded: no answer within 0.3 s\"", run.Diagnostics);
    }

    [Fact]
    public async Task AControlPlaneThatAcceptsConnectionsButNeverAnswersEndsTheRun()
    {
        using var silent = new SilentListener();

        var run = await InProcessAgent.RunAsync(Ports.Http(silent.Port), "silent-test-token", s => s.RpcTimeout = ShortDeadline);

        Assert.False(run.Result.Succeeded);
        Assert.StartsWith("control plane unreachable or refused the agent: DeadlineExceeded: no answer within 0.3 s", run.Result.Error);
    }
}
