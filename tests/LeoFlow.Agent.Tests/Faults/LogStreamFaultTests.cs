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
        // The lines sent again are announced once, before them, so a reader of the log knows why they repeat.
        var resent = Assert.Single(plane.Record.Lines, l => l.Stream == "agent" && l.Message.StartsWith("↻ log stream re-opened: ", StringComparison.Ordinal));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(resent.Message, @"^↻ log stream re-opened: the last \d+ lines sent before it broke are sent again \(stdout \d+–\d+\) and may appear twice$"),
            resent.Message + " | " + run.Diagnostics);
    }

    /// <summary>A stream that breaks while the task is silent is re-opened then, not at the task's next line.</summary>
    [Fact]
    public async Task AStreamBrokenWhileTheTaskIsSilentIsReopenedWithoutWaitingForALine()
    {
        using var dir = new TempDirectory();
        string flag = Path.Join(dir.Path, "go");
        var script = Tasks.Bash($"echo one; while [ ! -e '{flag}' ]; do sleep 0.05; done; echo two");
        script.BreakLogStreamAfterLines = 2;   // "▸ task started" and "one"
        await using var plane = await DevControlPlane.StartAsync(script);

        var agent = InProcessAgent.RunAsync(Ports.Http(plane.Port), script.Token);
        await RunWaits.UntilAsync(plane.Record.WhenCalledAsync("StreamLogs", 2), agent, "the log stream was re-opened while the task printed nothing");
        await File.WriteAllTextAsync(flag, "");
        var run = await agent;

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["one", "two"], plane.Record.Messages("stdout").Distinct());
        Assert.Empty(run.FallbackOutput);
    }

    /// <summary>
    /// A stream that breaks while the agent is busy retrying a unary call is re-opened during that
    /// call: the plane holds the retry until the second StreamLogs arrives, which it never would
    /// if the agent re-opened only at its next log line (none is written before the spec arrives).
    /// </summary>
    [Fact]
    public async Task AStreamBrokenDuringARetriedCallIsReopenedWithinIt()
    {
        var script = Tasks.Bash("echo after");
        int calls = 0;
        script.Before("GetTaskSpec", async (record, cancel) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                record.CurrentLogStream?.Abort();   // RST_STREAM on the open log stream
                throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "restarting"));
            }
            // Well within the agent's 30 s keep-alive ping: until the re-opened stream sent its
            // HEADERS at once, that ping was the next frame and what put them on the wire.
            await record.WhenCalledAsync("StreamLogs", 2, cancel).WaitAsync(TimeSpan.FromSeconds(20), cancel);
        });
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.RpcTimeout = Tasks.Timeout);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(2, calls);
        Assert.Equal(["after"], plane.Record.Messages("stdout"));
        Assert.Equal(2, plane.Record.LogStreams);
    }

    /// <summary>
    /// A control plane that reads the end of the log slowly (more than the old fixed 5 s) but
    /// steadily gets all of it: the drain waits for as long as it makes progress.
    /// </summary>
    [Fact]
    public async Task AControlPlaneSlowButTakingTheLogAtTheEndGetsEveryLine()
    {
        // 6,000 lines of about 200 bytes: all buffered by the agent at once; the last 5,000 are read
        // at a line a millisecond at most, over 5 s. The 64 KiB window keeps what the control plane
        // holds unread (which the agent cannot see) to some 300 lines, well under the stall time.
        const int lines = 6000;
        var script = Tasks.Bash($$"""awk 'BEGIN { pad = sprintf("%0190d", 0); for (i = 1; i <= {{lines}}; i++) print i " " pad }'""");
        script.SlowLogStreamAfterLines = 1000;
        script.SlowLogStreamBatch = 1;
        script.StreamWindowBytes = 65_535;   // grpc-go's starting window: the control plane's reading shows as flow control
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.True(run.FallbackOutput.Length == 0, run.Diagnostics);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Equal(lines, plane.Record.Messages("stdout").Count());
        Assert.DoesNotContain("did not drain", run.Diagnostics);
    }

    /// <summary>
    /// A control plane that stops taking the log at the end gets no more waiting than the stall
    /// time; what goes to stdout instead is counted truthfully: those lines had been sent, and may
    /// have arrived.
    /// </summary>
    [Fact]
    public async Task AControlPlaneThatStopsTakingTheLogAtTheEndGetsATruthfulStdoutHandOff()
    {
        const int lines = 3000;
        var script = Tasks.Bash($"seq 1 {lines}");
        script.StallLogStreamAfterLines = 1000;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s => s.DrainStallTimeout = TimeSpan.FromSeconds(1));

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Empty(TaskOutput.Missing(lines, run.FallbackOutput, plane.Record));
        Assert.Contains("log stream did not drain: the control plane took nothing for 1 s", run.Diagnostics);
        Assert.Matches(@"\d+ task log lines were written to the agent's stdout; \d+ of them had been sent on the log stream and may have reached the control plane as well", run.Diagnostics);
        Assert.DoesNotContain("instead of the control plane", run.Diagnostics);
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
