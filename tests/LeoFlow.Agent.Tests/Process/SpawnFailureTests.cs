using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>A task that cannot be executed fails at once with the shell's 127/126 and says why.</summary>
public sealed class SpawnFailureTests
{
    private static ControlPlaneScript Python() => new() { Spec = new TaskSpec { Operator = "python", Entrypoint = "sample_tasks:nothing" } };

    [Fact]
    public async Task MissingInterpreterFailsWith127()
    {
        await using var plane = await DevControlPlane.StartAsync(Python());

        var run = await InProcessAgent.RunAsync(plane, s => s.Environment["LEOFLOW_PYTHON"] = "/nonexistent");

        var final = await plane.Record.FinalState;
        Assert.Equal((TaskState.Failed, 127), (final.State, final.ExitCode));
        Assert.StartsWith("running command: exec: \"/nonexistent\": executable file not found", final.ErrorMessage);
        Assert.Equal(final.ErrorMessage, run.Result.Error);
        Assert.Contains("✗ task failed (exit 127)", plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task InterpreterNotOnPathFailsWith127()
    {
        await using var plane = await DevControlPlane.StartAsync(Python());

        await InProcessAgent.RunAsync(plane, s => s.Environment["LEOFLOW_PYTHON"] = "no-such-python-here");

        var final = await plane.Record.FinalState;
        Assert.Equal((TaskState.Failed, 127), (final.State, final.ExitCode));
        Assert.Equal("running command: exec: \"no-such-python-here\": executable file not found in $PATH", final.ErrorMessage);
    }

    [Fact]
    public async Task NonExecutableFileFailsWith126()
    {
        using var dir = new TempDirectory();
        string file = Path.Join(dir.Path, "python");
        File.WriteAllText(file, "#!/bin/sh\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var plane = await DevControlPlane.StartAsync(Python());

        await InProcessAgent.RunAsync(plane, s => s.Environment["LEOFLOW_PYTHON"] = file);

        var final = await plane.Record.FinalState;
        Assert.Equal((TaskState.Failed, 126), (final.State, final.ExitCode));
        Assert.StartsWith($"running command: exec: \"{file}\": cannot execute: ", final.ErrorMessage);
    }

    [Fact]
    public async Task ScriptWithMissingInterpreterSaysSo()
    {
        using var dir = new TempDirectory();
        string file = Path.Join(dir.Path, "task");
        File.WriteAllText(file, "#!/nonexistent/interpreter\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var (exit, _) = await ChildProgram.RunAsync(new ProcessSpec([file], [], null));

        Assert.Equal(127, exit.ExitCode);
        Assert.StartsWith($"exec: \"{file}\": the interpreter on its #! line was not found", exit.StartError);
    }
}
