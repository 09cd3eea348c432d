using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The task's output, end to end: every line, in order, on the right stream, whatever the bytes.</summary>
public sealed class LogStreamTests
{
    private static async Task<ControlPlaneRecord> RunBash(string script, Action<RunSetup>? configure = null)
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash(script));
        var run = await InProcessAgent.RunAsync(plane, configure);
        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        return plane.Record;
    }

    private static string[] Numbered(string prefix, int count) => Enumerable.Range(1, count).Select(i => prefix + i).ToArray();

    [Fact]
    public async Task TenThousandLinesArriveInOrderWithNoneLost()
    {
        var record = await RunBash("seq 1 10000");

        var stdout = record.Lines.Where(l => l.Stream == "stdout").ToArray();
        Assert.Equal(Numbered("", 10_000), stdout.Select(l => l.Message));
        Assert.Equal(Enumerable.Range(1, 10_000).Select(i => (long)i), stdout.Select(l => l.LineNumber));
        Assert.All(stdout, l => Assert.Equal(LogLevel.Info, l.Level));
        Assert.Equal("▸ task started", record.Lines[0].Message);
        Assert.StartsWith("✓ task succeeded in ", record.Lines[^1].Message);
        Assert.Equal(1, record.LogStreams);
    }

    [Fact]
    public async Task StdoutAndStderrWrittenConcurrentlyAreBothComplete()
    {
        var record = await RunBash("""
            (for i in $(seq 1 3000); do echo "out $i"; done) &
            (for i in $(seq 1 3000); do echo "err $i" >&2; done) &
            wait
            """);

        Assert.Equal(Numbered("out ", 3000), record.Messages("stdout"));
        Assert.Equal(Numbered("err ", 3000), record.Messages("stderr"));
        var stderr = record.Lines.Where(l => l.Stream == "stderr").ToArray();
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), stderr.Select(l => l.LineNumber));
        Assert.All(stderr, l => Assert.Equal(LogLevel.Error, l.Level));
    }

    [Fact]
    public async Task LastLinesWithoutNewlineAreDelivered()
    {
        var record = await RunBash("""printf 'first\nlast without newline'; printf 'err tail' >&2""");

        Assert.Equal(["first", "last without newline"], record.Messages("stdout"));
        Assert.Equal(["err tail"], record.Messages("stderr"));
    }

    [Fact]
    public async Task InvalidUtf8IsReplacedAndLaterLinesStillArrive()
    {
        // proto3 strings must be UTF-8: one bad byte ended the old agent's log stream for good.
        var record = await RunBash("""printf 'bad \xff byte\r\n'; printf 'half \xe2\x82\n'; echo after""");

        Assert.Equal(["bad \uFFFD byte", "half \uFFFD", "after"], record.Messages("stdout"));
        Assert.StartsWith("✓ task succeeded in ", record.Lines[^1].Message);
    }

    [Fact]
    public async Task AVeryLongLineIsSplitAndNothingIsLost()
    {
        var record = await RunBash("head -c 200000 /dev/zero | tr '\\0' 'z'; echo; echo after");

        var stdout = record.Messages("stdout");
        Assert.Equal("after", stdout[^1]);
        Assert.Equal(new string('z', 200_000), string.Concat(stdout[..^1]));
        Assert.All(stdout, l => Assert.True(l.Length <= LineSplitter.MaxLineBytes));
    }

    [Fact]
    public async Task WhenStreamLogsIsUnimplementedTheLogGoesToTheAgentsStdout()
    {
        var script = Tasks.Bash("echo to stdout; echo to stderr >&2");
        script.Unimplemented.Add("StreamLogs");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Empty(plane.Record.Lines);
        var fallback = run.FallbackOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("[agent INFO] ▸ task started", fallback[0]);
        Assert.Contains("[stdout INFO] to stdout", fallback);
        Assert.Contains("[stderr ERROR] to stderr", fallback);
        Assert.StartsWith("[agent INFO] ✓ task succeeded in ", fallback[^1]);
        Assert.Contains("log stream unavailable; task log lines go to the agent's stdout instead", run.Diagnostics);
    }
}
