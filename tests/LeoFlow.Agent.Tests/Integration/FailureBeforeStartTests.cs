using Grpc.Core;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>
/// Tasks that cannot start: unlike the old agent, which exited with the reason on its own stderr
/// only, the reason reaches the task log and the FAILED report (docs/protocol.md, "How failures
/// are handled").
/// </summary>
public sealed class FailureBeforeStartTests
{
    /// <summary>Runs the task and checks it failed before its process started, for <paramref name="reason"/>.</summary>
    private static async Task<ReportStateRequest> FailsBeforeStart(ControlPlaneScript script, string reason)
    {
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.False(run.Result.Succeeded);
        Assert.Contains(reason, run.Result.Error);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Contains(reason, final.ErrorMessage);
        Assert.Equal([TaskState.Failed], plane.Record.States.Select(s => s.State));   // never RUNNING
        var line = Assert.Single(plane.Record.Lines);                                  // never "▸ task started", no output
        Assert.Equal("agent", line.Stream);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.StartsWith("✗ task failed before start: ", line.Message);
        Assert.Contains(reason, line.Message);
        Assert.Empty(plane.Record.Pushed);
        return final;
    }

    [Fact]
    public async Task FetchXComRefusedFailsTheTask()
    {
        var script = Tasks.Bash("echo should not run");
        script.Spec.XcomInputMapping["numbers"] = "extract";
        script.XComs["extract"] = "[1]"u8.ToArray();
        script.FailFirst("FetchXCom", 1, StatusCode.PermissionDenied);

        await FailsBeforeStart(script, "fetching XCom input \"numbers\" from \"extract\": PermissionDenied: scripted failure of FetchXCom");
    }

    [Fact]
    public async Task HttpApiIsLeftToTheControlPlane()
    {
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "http_api", Entrypoint = "GET https://example.com" } };
        await FailsBeforeStart(script, "control plane");
    }

    [Fact]
    public async Task UnknownOperatorFailsTheTask()
    {
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "docker", Entrypoint = "alpine:3" } };
        await FailsBeforeStart(script, "unsupported operator \"docker\"");
    }

    [Theory]
    [InlineData("sample_tasks")]
    [InlineData(":add")]
    [InlineData("sample_tasks:")]
    public async Task MalformedPythonEntrypointFailsTheTask(string entrypoint)
    {
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "python", Entrypoint = entrypoint } };
        await FailsBeforeStart(script, $"invalid python entrypoint \"{entrypoint}\": want module:callable");
    }

    [Fact]
    public async Task EmptyBashScriptFailsTheTask() =>
        await FailsBeforeStart(Tasks.Bash(""), "bash task has an empty entrypoint");

    [Fact]
    public async Task NulInASpecEnvironmentValueFailsTheTask()
    {
        var script = Tasks.Bash("echo should not run");
        script.Spec.Environment["GREETING"] = "hello\0world";
        await FailsBeforeStart(script, "task environment variable \"GREETING\" has a NUL byte in its value");
    }

    [Fact]
    public async Task XComOverTheKernelsLimitForOneVariableFailsTheTask()
    {
        // Legal for the control plane (up to 256 KiB), but execve refuses one string over 128 KiB.
        var script = Tasks.Bash("echo should not run");
        script.Spec.XcomInputMapping["big"] = "extract";
        script.XComs["extract"] = System.Text.Encoding.UTF8.GetBytes("\"" + new string('a', 130 * 1024) + "\"");

        var final = await FailsBeforeStart(script, "XCom input \"LEOFLOW_XCOM_BIG\" is ");
        Assert.Contains("over Linux's 131072-byte limit for one environment variable", final.ErrorMessage);
    }

    [Fact]
    public async Task NulInABashScriptFailsTheTaskInsteadOfRunningItsFirstPart()
    {
        // execve would see the script up to the NUL only: "touch" would run, "echo" never, and
        // the task would succeed while the control plane shows a different command.
        using var dir = new TempDirectory();
        string file = Path.Join(dir.Path, "truncated");
        var script = Tasks.Bash($"touch {file}\0_and_more; echo tail-ran");

        await FailsBeforeStart(script, "bash entrypoint has a NUL byte at character");
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(file + "\0_and_more"));
    }

    [Fact]
    public async Task NulInAPythonEntrypointFailsTheTaskInsteadOfRunningAnotherModule()
    {
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "python", Entrypoint = "sample_tasks\0evil:add" } };
        await FailsBeforeStart(script, "python entrypoint has a NUL byte at character 13");
    }

    [Fact]
    public async Task ABashScriptOverTheKernelsLimitForOneArgumentFailsWithASentence()
    {
        var script = Tasks.Bash("echo " + new string('a', 128 * 1024));

        var final = await FailsBeforeStart(script, "bash entrypoint is 131078 bytes");
        Assert.Contains("over Linux's 131072-byte limit for one argument", final.ErrorMessage);
    }

    [Fact]
    public async Task XComParametersThatCollideWhenUpperCasedFailTheTask()
    {
        var script = Tasks.Bash("echo should not run");
        script.Spec.XcomInputMapping["value"] = "one";
        script.Spec.XcomInputMapping["Value"] = "two";
        script.XComs["one"] = "1"u8.ToArray();
        script.XComs["two"] = "2"u8.ToArray();

        await FailsBeforeStart(script, "both map to LEOFLOW_XCOM_VALUE");
    }
}
