using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>The agent as a container's PID 1: orphans of the task are re-parented to it and must be reaped (what tini does).</summary>
public sealed class Pid1ReapingTests
{
    [UnshareFact]
    public async Task OrphansAreReapedAndTheTaskStatusIsKept()
    {
        // Two orphans that exit on their own. A zombie keeps its /proc entry, so the loop ends
        // only once the agent has reaped both; without reaping it gives up and counts them.
        const string script = """
            echo "parent $PPID"
            a=$(sleep 0.2 >/dev/null 2>&1 & echo $!)
            b=$(sleep 0.2 >/dev/null 2>&1 & echo $!)
            for i in $(seq 600); do [ -e /proc/$a ] || [ -e /proc/$b ] || break; sleep 0.05; done
            echo "zombies $(grep -l '^[0-9]* (.*) Z' /proc/[0-9]*/stat 2>/dev/null | wc -l)"
            exit 5
            """;
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = script } });

        using var agent = AgentProcess.StartWrapped(AgentProcess.EnvironmentFor(plane), "unshare", "--pid", "--fork", "--mount-proc");
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 1, run.Stderr);
        var stdout = plane.Record.Lines.Where(l => l.Stream == "stdout").Select(l => l.Message).ToArray();
        Assert.Equal(["parent 1", "zombies 0"], stdout);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(5, final.ExitCode);
        Assert.Equal("task exited non-zero", final.ErrorMessage);
    }
}
