using System.Text.RegularExpressions;
using Grpc.Core;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// A control plane that answers Unavailable for a while costs retries, not the task; one that
/// refuses the agent is believed at once.
/// </summary>
public sealed class TransientFailureTests
{
    private static ControlPlaneScript TaskWithReturnValue() =>
        Tasks.Bash("""echo hi; printf '{"n": 1}' > "$LEOFLOW_RETURN_VALUE_PATH" """);

    [Theory]
    [InlineData("Register")]
    [InlineData("GetTaskSpec")]
    [InlineData("ReportState:RUNNING")]
    [InlineData("PushXCom")]
    [InlineData("ReportState:SUCCESS")]
    public async Task UnavailableForTheFirstCallsIsRetriedAndTheTaskSucceeds(string failing)
    {
        var script = TaskWithReturnValue();
        script.FailFirst(failing, 2);
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal([TaskState.Running, TaskState.Success], plane.Record.States.Select(s => s.State));
        Assert.Equal(3, plane.Record.Events.Count(e => e.What == failing));   // two refused, the third answered
        string method = failing.Split(':')[0];
        Assert.Equal(2, Regex.Matches(run.Diagnostics, $"\"{method} failed; retrying in ").Count);
        Assert.Equal(["hi"], plane.Record.Messages("stdout"));
        Assert.Equal("""{"n": 1}""", plane.Record.Pushed["return_value"].Value.ToStringUtf8());
    }

    [Fact]
    public async Task TheFailedReportOfATerminatedTaskIsStillRetried()
    {
        var script = Tasks.Bash("echo ready; sleep 300");
        script.FailFirst("ReportState:FAILED", 2);
        await using var plane = await DevControlPlane.StartAsync(script);
        var run = InProcessAgent.RunAsync(plane, s =>
        {
            plane.Record.WhenLineAsync(l => l.Message == "ready").ContinueWith(_ => s.Termination.Request("terminated by SIGTERM"));
        });

        var result = await run;
        Assert.False(result.Result.Succeeded);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.StartsWith("terminated by SIGTERM", final.ErrorMessage);
        Assert.Equal(3, plane.Record.Events.Count(e => e.What == "ReportState:FAILED"));
    }

    [Fact]
    public async Task AWrongTokenIsNotRetried()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo should not run"));

        var run = await InProcessAgent.RunAsync(plane, s => s.Token = "not-the-token");

        Assert.False(run.Result.Succeeded);
        Assert.Equal("control plane unreachable or refused the agent: Unauthenticated: invalid agent token", run.Result.Error);
        Assert.Equal(1, plane.Record.Attempts.Count(a => a == "Register"));
        Assert.DoesNotContain("GetTaskSpec", plane.Record.Attempts);
        Assert.Empty(plane.Record.Calls);
        Assert.Empty(plane.Record.States);
        Assert.DoesNotContain("retrying", run.Diagnostics);
    }

    [Theory]
    [InlineData("Register", "control plane unreachable or refused the agent: PermissionDenied: scripted failure of Register")]
    [InlineData("GetTaskSpec", "control plane unreachable or refused the agent: PermissionDenied: scripted failure of GetTaskSpec")]
    [InlineData("ReportState:SUCCESS", "reporting SUCCESS: PermissionDenied: scripted failure of ReportState:SUCCESS")]
    public async Task PermissionDeniedIsNotRetried(string failing, string error)
    {
        var script = TaskWithReturnValue();
        script.FailFirst(failing, 1, StatusCode.PermissionDenied);
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        Assert.Equal(error, run.Result.Error);
        Assert.Equal(1, plane.Record.Events.Count(e => e.What == failing));
        Assert.DoesNotContain("retrying", run.Diagnostics);
    }
}
