using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The control plane stopping a running task through its heartbeat answer.</summary>
public sealed class TerminationTests
{
    [Fact]
    public async Task HeartbeatShouldTerminateStopsTheTaskAndReportsWhy()
    {
        var script = Tasks.Bash("sleep 300");
        script.TerminateAfterHeartbeats = 1;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.HeartbeatInterval = TimeSpan.FromMilliseconds(100));

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.StartsWith("terminated by control plane", final.ErrorMessage);
        Assert.Equal([TaskState.Running, TaskState.Failed], plane.Record.States.Select(s => s.State));
        Assert.Contains("terminated by control plane", plane.Record.Lines[^1].Message);
        Assert.StartsWith("✗ task failed (exit ", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task TheTaskGetsSigtermFirstAndMayExitOnItsOwn()
    {
        var script = Tasks.Bash("trap 'echo got TERM; exit 7' TERM; echo ready; sleep 300 & wait");
        await using var plane = await DevControlPlane.StartAsync(script);
        // Terminate only once the task has said it is ready (its trap is set), at the next heartbeat.
        plane.Record.LineReceived += line =>
        {
            if (line is { Stream: "stdout", Message: "ready" }) script.TerminateAfterHeartbeats = 1;
        };

        var run = await InProcessAgent.RunAsync(plane, s =>
        {
            s.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            s.GracePeriod = TimeSpan.FromSeconds(30);
        });

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal((TaskState.Failed, 7, "terminated by control plane"), (final.State, final.ExitCode, final.ErrorMessage));
        Assert.Equal(["ready", "got TERM"], plane.Record.Messages("stdout"));
        Assert.Matches(@"^✗ task failed \(exit 7\) in \S+: terminated by control plane$", plane.Record.Lines[^1].Message);
    }
}
