using System.Text;
using System.Text.Json;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The whole lifecycle in process, against the dev control plane on loopback.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task PythonTasksRunUnbufferedUnlessTheSpecSaysOtherwise()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("unbuffered"));
        await InProcessAgent.RunAsync(plane, s => s.Environment.Remove("PYTHONUNBUFFERED"));
        Assert.Equal(["PYTHONUNBUFFERED=1"], plane.Record.Messages("stdout"));

        var own = Tasks.Python("unbuffered");
        own.Spec.Environment["PYTHONUNBUFFERED"] = "";
        await using var second = await DevControlPlane.StartAsync(own);
        await InProcessAgent.RunAsync(second, s => s.Environment.Remove("PYTHONUNBUFFERED"));
        Assert.Equal(["PYTHONUNBUFFERED="], second.Record.Messages("stdout"));
    }

    [Theory]
    [InlineData(int.MaxValue, "execution_timeout_seconds 2147483647 is over the agent's 4000000 s maximum (a timer holds about 49 days); the task runs without a timeout")]   // about 68 years
    [InlineData(-5, "execution_timeout_seconds -5 is negative; the task runs without a timeout")]
    public async Task AnExecutionTimeoutThatCannotBeATimerIsNoTimeoutAndTheDiagnosticsSaySo(int seconds, string warning)
    {
        var script = Tasks.Bash("echo ok");
        script.Spec.ExecutionTimeoutSeconds = seconds;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Single(run.Diagnostics.Split('\n'), l => l.Contains("\"level\":\"WARN\",\"msg\":\"" + warning + "\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoExecutionTimeoutIsNoWarning()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo ok"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.DoesNotContain("execution_timeout_seconds", run.Diagnostics);
    }

    [Fact]
    public async Task BashTasksGetNoPythonDefaults()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo \"PYTHONUNBUFFERED=${PYTHONUNBUFFERED-unset}\""));
        await InProcessAgent.RunAsync(plane, s => s.Environment.Remove("PYTHONUNBUFFERED"));
        Assert.Equal(["PYTHONUNBUFFERED=unset"], plane.Record.Messages("stdout"));
    }

    [Fact]
    public async Task BashSuccessStreamsLogsPushesReturnValueAndReportsSuccess()
    {
        var script = Tasks.Bash("""echo "in=$LEOFLOW_XCOM_NUMBERS"; echo oops >&2; printf '{"n": 3}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
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
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo before; exit 3"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(3, final.ExitCode);
        Assert.Equal("task exited non-zero", final.ErrorMessage);
        Assert.Matches(@"^✗ task failed \(exit 3\) in \d+(\.\d+)?m?s$", plane.Record.Lines[^1].Message);
        Assert.Empty(plane.Record.Pushed);
    }

    [Fact]
    public async Task PythonTaskGetsXComAndCallArgsAndItsReturnValueIsPushed()
    {
        var script = Tasks.Python("add");
        script.Spec.XcomInputMapping["numbers"] = "extract";
        script.Spec.CallArgsJson = """{"offset": 10}""";
        script.XComs["extract"] = "[1, 2, 3]"u8.ToArray();
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["adding [1, 2, 3] with offset 10"], plane.Record.Messages("stdout"));
        Assert.Equal(["stderr works too"], plane.Record.Messages("stderr"));
        Assert.Equal(16, JsonDocument.Parse(plane.Record.Pushed["return_value"].Value.Memory).RootElement.GetProperty("total").GetInt32());
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
    }

    [Fact]
    public async Task XComInputWithoutValueIsLeftUnsetAndTheTaskRuns()
    {
        var script = Tasks.Python("add");
        script.Spec.XcomInputMapping["numbers"] = "extract";   // declared, but extract stored nothing
        script.Spec.CallArgsJson = """{"offset": 5}""";
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal("extract", plane.Record.XComFetches.Single().UpstreamTaskId);
        Assert.Equal(["adding None with offset 5"], plane.Record.Messages("stdout"));
        Assert.Equal("""{"total": 5}""", Encoding.UTF8.GetString(plane.Record.Pushed["return_value"].Value.Span));
    }

    [Fact]
    public async Task RpcsGoOutInTheContractsOrder()
    {
        var script = Tasks.Bash("""echo "$LEOFLOW_XCOM_A_FIRST $LEOFLOW_XCOM_B_SECOND"; echo '"done"' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        script.Spec.XcomInputMapping["b_second"] = "upstream_two";
        script.Spec.XcomInputMapping["a_first"] = "upstream_one";
        script.XComs["upstream_one"] = "1"u8.ToArray();
        script.XComs["upstream_two"] = "2"u8.ToArray();
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(
            ["StreamLogs", "Register", "GetTaskSpec", "FetchXCom", "FetchXCom", "GetVariables", "GetConnections", "ReportState", "PushXCom", "ReportState"],
            plane.Record.CallsWithoutHeartbeats());
        Assert.Equal(["upstream_one", "upstream_two"], plane.Record.XComFetches.Select(f => f.UpstreamTaskId));
        Assert.All(plane.Record.XComFetches, f => Assert.Equal("return_value", f.Key));
        Assert.Equal(["1 2"], plane.Record.Messages("stdout"));
        Assert.Equal("test", plane.Record.Registrations.Single().AgentVersion);
        Assert.Equal("test-host", plane.Record.Registrations.Single().Hostname);
        Assert.All(plane.Record.Authorizations, a => Assert.Equal("Bearer " + script.Token, a));
    }

    [Fact]
    public async Task KilledBySignalIsReportedAs128PlusTheSignal()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo before; kill -9 $$; echo after"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(137, final.ExitCode);
        Assert.Equal("killed by SIGKILL", final.ErrorMessage);
        Assert.Equal(["before"], plane.Record.Messages("stdout"));
        Assert.Matches(@"^✗ task failed \(exit 137\) in \S+: killed by SIGKILL$", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task FailingPythonCallableReportsFailedWithItsTraceback()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("fail"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal((TaskState.Failed, 1, "task exited non-zero"), (final.State, final.ExitCode, final.ErrorMessage));
        Assert.Contains("RuntimeError: task code raised", plane.Record.Messages("stderr"));
        Assert.Empty(plane.Record.Pushed);
    }

    [Fact]
    public async Task PythonCallableThatDoesNotExistFailsTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("no_such_callable"));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        Assert.Equal(TaskState.Failed, (await plane.Record.Final()).State);
        Assert.Contains(plane.Record.Messages("stderr"), l => l.Contains("no_such_callable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingInterpreterIsReportedAsExit127()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Python("add"));

        var run = await InProcessAgent.RunAsync(plane, s => s.Environment["LEOFLOW_PYTHON"] = "leoflow-no-such-python");

        Assert.False(run.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Equal(127, final.ExitCode);
        Assert.Equal("running command: exec: \"leoflow-no-such-python\": executable file not found in $PATH", final.ErrorMessage);
        Assert.EndsWith(final.ErrorMessage, plane.Record.Lines[^1].Message);
    }
}
