using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The leoflow-agent executable, run as a child process against the dev control plane.</summary>
public sealed class BinaryTests
{
    [Fact]
    public async Task BashTaskSucceedsAndExitsZero()
    {
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "echo hi" } });

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.Contains(plane.Record.Lines, l => l is { Stream: "stdout", Message: "hi", LineNumber: 1 });
    }

    [Fact]
    public async Task MissingAddressIsAConfigurationErrorWithExitTwo()
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?> { ["LEOFLOW_AGENT_TOKEN"] = "t" });

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("LEOFLOW_CONTROL_PLANE_ADDR", line);
    }
}
