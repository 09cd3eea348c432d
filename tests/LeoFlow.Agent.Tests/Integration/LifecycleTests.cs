using System.Text;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The whole lifecycle in process, against the dev control plane on loopback.</summary>
public sealed class LifecycleTests
{
    private static ControlPlaneScript Bash(string script) => new() { Spec = new TaskSpec { Operator = "bash", Entrypoint = script } };

    [Fact]
    public async Task BashSuccessStreamsLogsPushesReturnValueAndReportsSuccess()
    {
        var script = Bash("""echo "in=$LEOFLOW_XCOM_NUMBERS"; echo oops >&2; printf '{"n": 3}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        script.Spec.XcomInputMapping["numbers"] = "extract";
        script.XComs["extract"] = "[1,2]"u8.ToArray();
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error);
        var calls = plane.Record.WireOrder;
        Assert.Equal(["StreamLogs", "Register", "GetTaskSpec", "FetchXCom", "GetVariables", "GetConnections", "ReportState"], calls.Where(c => c != "Heartbeat").Take(7));
        Assert.Equal("return_value", plane.Record.XComFetches.Single().Key);
        var lines = plane.Record.Lines;
        Assert.Equal("▸ task started", lines[0].Message);
        Assert.Contains(lines, l => l is { Stream: "stdout", Message: "in=[1,2]", LineNumber: 1, Level: LogLevel.Info });
        Assert.Contains(lines, l => l is { Stream: "stderr", Message: "oops", LineNumber: 1, Level: LogLevel.Error });
        Assert.StartsWith("✓ task succeeded in ", lines[^1].Message);
        Assert.All(lines, l => Assert.NotNull(l.Time));
        var pushed = plane.Record.Pushed["return_value"];
        Assert.Equal("""{"n": 3}""", Encoding.UTF8.GetString(pushed.Value.Span));
        Assert.Equal("application/json", pushed.ContentType);
        Assert.Equal([TaskState.Running, TaskState.Success], plane.Record.States.Select(s => s.State));
    }

    [Fact]
    public async Task NonZeroExitReportsFailedWithExitCode()
    {
        await using var plane = await DevControlPlane.StartAsync(Bash("echo before; exit 3"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.FinalState;
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(3, final.ExitCode);
        Assert.Equal("task exited non-zero", final.ErrorMessage);
        Assert.Matches(@"^✗ task failed \(exit 3\) in \d+(\.\d+)?m?s$", plane.Record.Lines[^1].Message);
        Assert.Empty(plane.Record.Pushed);
    }
}
