using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>Termination and timeouts reach the task's whole process tree, in process against the dev control plane.</summary>
public sealed class ProcessTreeTests
{
    [Fact]
    public async Task TerminationLeavesNoProcessOfTheTreeAlive()
    {
        using var dir = new TempDirectory();
        string d = dir.Path;
        // bash → bash (ignoring SIGTERM, so only the SIGKILL after the grace period ends it) → sleep,
        // and a sleep of the main bash's own; every pid written down before "ready".
        var script = new ControlPlaneScript
        {
            Spec = new TaskSpec
            {
                Operator = "bash",
                Entrypoint = $$"""
                    echo $$ > {{d}}/main
                    bash -c 'trap "" TERM; sleep 300 & echo $! > {{d}}/inner-sleep; wait' & echo $! > {{d}}/inner-bash
                    sleep 300 & echo $! > {{d}}/sleep
                    for i in $(seq 1200); do [ -s {{d}}/inner-sleep ] && break; sleep 0.05; done
                    echo ready
                    wait
                    """,
            },
        };
        await using var plane = await DevControlPlane.StartAsync(script);
        var ready = ControlPlaneLines.WaitForAsync(plane.Record, "stdout", "ready");
        RunSetup? setup = null;

        var running = InProcessAgent.RunAsync(plane, s => { s.GracePeriod = TimeSpan.FromSeconds(1); setup = s; });
        await ready;
        setup!.Termination.Request("terminated by control plane");
        var run = await running;

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.StartsWith("terminated by control plane", final.ErrorMessage);
        var pids = new[] { "main", "inner-bash", "inner-sleep", "sleep" }.Select(f => ProcessWatch.ReadPid(Path.Join(d, f))).ToArray();
        Assert.Equal(4, pids.Distinct().Count());
        Assert.Empty(await ProcessWatch.AliveAfterWaitAsync(pids));
    }

    [Fact]
    public async Task ExecutionTimeoutStopsTheTask()
    {
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "sleep 300", ExecutionTimeoutSeconds = 1 } };
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal("timed out after 1 s (killed by SIGTERM)", final.ErrorMessage);
        Assert.Equal(143, final.ExitCode);
        Assert.EndsWith(": timed out after 1 s (killed by SIGTERM)", plane.Record.Lines[^1].Message);
    }
}
