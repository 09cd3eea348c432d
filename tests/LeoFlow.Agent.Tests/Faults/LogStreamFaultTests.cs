using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// The log stream failing under a running task: a reset stream is re-opened and what the control
/// plane may have missed is sent again; a stalled one is given up for the agent's stdout. Either
/// way no line is lost and the task is not held up for good.
/// </summary>
public sealed class LogStreamFaultTests
{
    [Fact]
    public async Task AStreamResetMidRunIsReopenedAndNoLineIsLost()
    {
        const int lines = 200_000;
        var script = Tasks.Bash($"seq 1 {lines}");
        script.BreakLogStreamAfterLines = 1000;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal(2, plane.Record.LogStreams);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Empty(run.FallbackOutput);   // all of it reached the control plane, duplicates of the resent lines allowed
        Assert.Contains("log stream broke; re-opening it", run.Diagnostics);
        Assert.StartsWith("✓ task succeeded in ", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task AControlPlaneThatAcknowledgesLinesGetsThemAllOnOneStream()
    {
        const int lines = 100_000;
        var script = Tasks.Bash($"seq 1 {lines}");
        script.AcknowledgeLogLines = true;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(1, plane.Record.LogStreams);
        Assert.Empty(run.FallbackOutput);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Equal(Enumerable.Range(1, lines).Select(i => i.ToString()), plane.Record.Messages("stdout"));
    }

    [Fact]
    public async Task AStreamThatKeepsBreakingIsGivenUpForStdoutAfterTheBackoffSchedule()
    {
        const int lines = 200_000;
        var script = Tasks.Bash($"seq 1 {lines}");
        script.BreakLogStreamAfterLines = 100;
        script.BreakEveryLogStream = true;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal(1 + Backoff.MaxAttempts, plane.Record.LogStreams);   // the first, then one per step of the schedule
        Assert.Contains($"the log stream broke {Backoff.MaxAttempts} times in a row", run.Diagnostics);
        Assert.NotEmpty(run.FallbackOutput);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
    }

    [Fact]
    public async Task AStreamResetNearTheEndIsReopenedAndNoLineIsLost()
    {
        // Few lines: all may be written before the reset, which only the last line or the final half-close notices.
        const int lines = 2000;
        var script = Tasks.Bash($"seq 1 {lines}");
        script.BreakLogStreamAfterLines = lines / 2;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Contains(plane.Record.Lines, l => l.Message.StartsWith("✓ task succeeded in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStalledStreamIsGivenUpForStdoutAndTheTaskFinishes()
    {
        // 500,000 lines of 100 bytes: 50 MB, six times the agent's 8 MiB log buffer.
        const int lines = 500_000;
        var script = Tasks.Bash($$"""awk 'BEGIN { pad = sprintf("%093d", 0); for (i = 1; i <= {{lines}}; i++) print i " " pad }'""");
        script.StallLogStreamAfterLines = 1000;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.StallTimeout = TimeSpan.FromSeconds(1));

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal(1, plane.Record.LogStreams);   // a stalled control plane is not asked again
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Contains("the control plane stopped reading for 1 s", run.Diagnostics);
        Assert.Contains("[agent INFO] ✓ task succeeded in ", run.FallbackOutput);
    }
}
