using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>After a clean exit the return value decides: pushed, dropped, or the reason the task failed.</summary>
public sealed class ReturnValueTests
{
    /// <summary>Checks a task that exited 0 ended FAILED for <paramref name="reason"/>, and that its log says so.</summary>
    private static async Task FailedAfterCleanExit(DevControlPlane plane, InProcessRun run, string reason)
    {
        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(0, final.ExitCode);
        Assert.Contains(reason, final.ErrorMessage);
        var framing = plane.Record.Messages("agent");
        Assert.Equal("▸ task started", framing[0]);
        Assert.StartsWith("✗ task failed (exit 0) in ", framing[^1]);
        Assert.Contains(reason, framing[^1]);
        Assert.DoesNotContain(framing, l => l.Contains("succeeded", StringComparison.Ordinal));
        Assert.Equal("agent", plane.Record.Lines[^1].Stream);
    }

    [Fact]
    public async Task ReturnValueOverTheControlPlanesLimitIsPushedAndItsVerdictFailsTheTask()
    {
        // 300 KiB: over the control plane's 256 KiB, which is its limit to apply, not the agent's.
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("big_return"));

        var run = await InProcessAgent.RunAsync(plane);

        await FailedAfterCleanExit(plane, run, "control plane rejected return value: payload_too_large");
        Assert.Contains("PushXCom", plane.Record.Calls);
        Assert.Empty(plane.Record.Pushed);
    }

    [Fact]
    public async Task AControlPlaneWithAHigherLimitGetsTheWholeValue()
    {
        var script = Tasks.Python("big_return");
        script.MaxXComBytes = 1024 * 1024;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(300 * 1024 + 2, plane.Record.Pushed["return_value"].Value.Length);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
    }

    /// <summary>A JSON string of <paramref name="bytes"/> bytes, quotes included, written by a bash task.</summary>
    private static ControlPlaneScript WritesJsonString(int bytes) =>
        Tasks.Bash($$"""{ printf '"'; head -c {{bytes - 2}} /dev/zero | tr '\0' a; printf '"'; } > "$LEOFLOW_RETURN_VALUE_PATH" """);

    [Fact]
    public async Task AValueThatFillsOneGrpcMessageExactlyIsPushed()
    {
        // PushXComRequest with this value is 4 MiB, gRPC's default limit on a received message.
        var script = WritesJsonString(TaskRunner.MaxReturnValueBytes);
        script.MaxXComBytes = int.MaxValue;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(4 * 1024 * 1024, plane.Record.Pushed["return_value"].CalculateSize());
    }

    [Fact]
    public async Task AValueOneGrpcMessageCannotCarryFailsTheTaskWithoutAPush()
    {
        var script = WritesJsonString(TaskRunner.MaxReturnValueBytes + 1);
        script.MaxXComBytes = int.MaxValue;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        await FailedAfterCleanExit(plane, run, $"is over the {TaskRunner.MaxReturnValueBytes} bytes one PushXCom message can carry");
        Assert.DoesNotContain("PushXCom", plane.Record.Calls);
    }

    [Fact]
    public async Task ReturnValueRejectedByTheControlPlaneFailsTheTaskAndTheLogSaysSo()
    {
        var script = Tasks.Bash("""echo '{"total": 123456789}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        script.MaxXComBytes = 8;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        await FailedAfterCleanExit(plane, run, "control plane rejected return value: payload_too_large");
        Assert.Contains("PushXCom", plane.Record.Calls);
    }

    [Fact]
    public async Task ReturnValueThatIsNotJsonFailsTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("""echo 'not json' > "$LEOFLOW_RETURN_VALUE_PATH" """));

        var run = await InProcessAgent.RunAsync(plane);

        await FailedAfterCleanExit(plane, run, "is not valid JSON (line 1, byte ");
        Assert.DoesNotContain("'n'", run.Result.Error);   // nothing of the file is echoed
        Assert.Empty(plane.Record.Pushed);
    }

    [Fact]
    public async Task PushXComUnimplementedDropsTheValueWithAWarningAndSucceeds()
    {
        var script = Tasks.Python("add");
        script.Unimplemented.Add("PushXCom");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Contains("PushXCom", plane.Record.Calls);
        Assert.Empty(plane.Record.Pushed);
        Assert.Contains("\"level\":\"WARN\",\"msg\":\"control plane does not implement XCom yet; dropping return value\"", run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.StartsWith("✓ task succeeded in ", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task NoReturnValueMeansNothingPushed()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("nothing"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["no return value"], plane.Record.Messages("stdout"));
        Assert.DoesNotContain("PushXCom", plane.Record.Calls);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
    }

    [Fact]
    public async Task AFailedTaskNeverPushesWhatItWrote()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("""echo '{"partial": true}' > "$LEOFLOW_RETURN_VALUE_PATH"; exit 2"""));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        Assert.Equal(2, (await plane.Record.Final()).ExitCode);
        Assert.DoesNotContain("PushXCom", plane.Record.Calls);
    }
}
