using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>
/// The agent's own stdout or stderr is a full pipe nobody reads (a stuck logging driver under
/// Docker's blocking log mode): the lifecycle still runs to its report and the agent exits.
/// </summary>
public sealed class StuckOutputTests
{
    [Fact]
    public async Task StderrFullFromTheStartTheAgentStillRunsTheTaskReportsAndExits()
    {
        using var stuck = new StuckPipe();
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo hello"));

        var run = await RunWithAsync(AgentProcess.EnvironmentFor(plane), $"exec \"$0\" 2>{stuck.Path}");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.Contains(plane.Record.Lines, l => l is { Stream: "stdout", Message: "hello" });
    }

    [Fact]
    public async Task StdoutFullWithTheLogStreamRefusedTheTaskIsNotBlockedAndTheLossIsSaid()
    {
        using var stuck = new StuckPipe();
        var script = Tasks.Bash("seq 1 200000; echo done >&2");
        script.Unimplemented.Add("StreamLogs");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await RunWithAsync(AgentProcess.EnvironmentFor(plane), $"exec \"$0\" >{stuck.Path}");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.FinalState).State);
        Assert.Matches(@"\d+ task log line\(s\) were lost: the log stream could not take them and nothing read the agent's stdout", run.Stderr);
    }

    private static async Task<BinaryRun> RunWithAsync(Dictionary<string, string?> env, string redirect)
    {
        using var agent = AgentProcess.StartWrapped(env, "bash", "-c", redirect);
        return await AgentProcess.WaitAsync(agent);
    }
}
