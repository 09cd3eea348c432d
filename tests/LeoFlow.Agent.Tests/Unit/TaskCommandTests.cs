using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class TaskCommandTests
{
    [Fact]
    public void PythonDefaultsToPythonNotPython3()
    {
        Assert.Equal(["python", "-m", "leoflow_runtime", "tasks:extract"], TaskCommand.Build("python", "tasks:extract", null));
        Assert.Equal("python", TaskCommand.Build("python", "tasks:extract", "")[0]);
    }

    [Fact]
    public void LeoflowPythonOverridesTheInterpreter() =>
        Assert.Equal(["/opt/venv/bin/python3.12", "-m", "leoflow_runtime", "pkg.mod:run"], TaskCommand.Build("python", "pkg.mod:run", "/opt/venv/bin/python3.12"));

    [Fact]
    public void PythonEntrypointIsSplitAtTheFirstColon() =>
        Assert.Equal("a:b:c", TaskCommand.Build("python", "a:b:c", null)[3]);

    [Theory]
    [InlineData(":x")]
    [InlineData("x:")]
    [InlineData("x")]
    [InlineData(":")]
    [InlineData("")]
    public void PythonEntrypointMustBeModuleColonCallable(string entrypoint)
    {
        var e = Assert.Throws<TaskFailedException>(() => TaskCommand.Build("python", entrypoint, null));
        Assert.Contains("module:callable", e.Message);
        Assert.Contains($"\"{entrypoint}\"", e.Message);
    }

    [Fact]
    public void BashRunsTheEntrypointAsAScript() =>
        Assert.Equal(["bash", "-c", "echo hi; exit 3"], TaskCommand.Build("bash", "echo hi; exit 3", "python3"));

    [Fact]
    public void BashNeedsAnEntrypoint() =>
        Assert.Contains("empty entrypoint", Assert.Throws<TaskFailedException>(() => TaskCommand.Build("bash", "", null)).Message);

    [Fact]
    public void HttpApiIsTheControlPlanesJob() =>
        Assert.Contains("control plane", Assert.Throws<TaskFailedException>(() => TaskCommand.Build("http_api", "GET https://x", null)).Message);

    [Theory]
    [InlineData("docker")]
    [InlineData("")]
    [InlineData("Bash")]
    public void UnknownOperatorIsUnsupported(string op) =>
        Assert.Contains("unsupported operator", Assert.Throws<TaskFailedException>(() => TaskCommand.Build(op, "x:y", null)).Message);

    [Theory]
    [InlineData("bash", "touch /tmp/x\0; rm -rf keep", null, "bash entrypoint has a NUL byte at character 13")]
    [InlineData("python", "safe\0evil:fn", null, "python entrypoint has a NUL byte at character 5")]
    [InlineData("python", "safe:fn\0", null, "python entrypoint has a NUL byte at character 8")]
    [InlineData("bash\0python", "echo", null, "operator \"bash\\0python\" has a NUL byte")]
    [InlineData("python", "safe:fn", "python3\0-c", "interpreter (LEOFLOW_PYTHON) has a NUL byte at character 8")]
    public void ANulByteAnywhereFailsInsteadOfCuttingTheCommandShort(string op, string entrypoint, string? python, string expected)
    {
        var e = Assert.Throws<TaskFailedException>(() => TaskCommand.Build(op, entrypoint, python));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\0', e.Message);   // the message shows it escaped
    }

    [Fact]
    public void AnArgumentUpToLinuxsLimitIsKept()
    {
        string script = new('a', TaskCommand.MaxArgumentBytes - 1);   // with its NUL: exactly the limit
        Assert.Equal(script, TaskCommand.Build("bash", script, null)[2]);
    }

    [Fact]
    public void AnArgumentOverLinuxsLimitFailsWithASentence()
    {
        string script = new('é', TaskCommand.MaxArgumentBytes / 2);   // two bytes each: one byte over with the NUL
        var e = Assert.Throws<TaskFailedException>(() => TaskCommand.Build("bash", script, null));
        Assert.Equal("bash entrypoint is 131073 bytes with its terminating NUL, over Linux's 131072-byte limit for one argument", e.Message);
    }

    [Fact]
    public void ResolvesOnPathOnly()
    {
        using var dir = new TempDirectory();
        string tool = dir.WriteFile("bin/tool", "#!/bin/sh\n", TempDirectory.Executable);

        Assert.Equal(tool, TaskCommand.ResolveExecutable("tool", "/nonexistent:" + Path.Join(dir.Path, "bin")));
        Assert.Null(TaskCommand.ResolveExecutable("tool", "/nonexistent"));
        Assert.Null(TaskCommand.ResolveExecutable("tool", null));
        Assert.Null(TaskCommand.ResolveExecutable("tool", ""));
    }

    [Fact]
    public void AFileInTheCurrentDirectoryIsNotFound()
    {
        // .NET would run ./python from the DAG's directory before the one on PATH; Go's LookPath does not.
        string name = "leoflow-test-tool-" + Guid.NewGuid().ToString("N");
        string inCwd = Path.Join(Directory.GetCurrentDirectory(), name);
        File.WriteAllText(inCwd, "#!/bin/sh\n");
        File.SetUnixFileMode(inCwd, TempDirectory.Executable);
        try
        {
            using var dir = new TempDirectory();
            Assert.Null(TaskCommand.ResolveExecutable(name, Path.Join(dir.Path, "empty")));
            // Empty and relative PATH entries mean "the current directory" to a shell; they are skipped.
            Assert.Null(TaskCommand.ResolveExecutable(name, ":.:./:../" + Path.GetFileName(Directory.GetCurrentDirectory())));
            Assert.Equal(inCwd, TaskCommand.ResolveExecutable(name, Directory.GetCurrentDirectory()));
        }
        finally
        {
            File.Delete(inCwd);
        }
    }

    [Fact]
    public void RelativePathEntriesAreSkipped()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("rel/tool", "#!/bin/sh\n", TempDirectory.Executable);
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.Join(dir.Path, "rel"));
        Assert.False(Path.IsPathRooted(relative));
        Assert.True(File.Exists(Path.Join(relative, "tool")));

        Assert.Null(TaskCommand.ResolveExecutable("tool", relative));
    }

    [Fact]
    public void NonExecutableFilesAndDirectoriesAreSkipped()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("a/tool", "not executable\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(Path.Join(dir.Path, "b", "tool"));
        string wanted = dir.WriteFile("c/tool", "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.OtherExecute);
        string path = string.Join(':', new[] { "a", "b", "c" }.Select(d => Path.Join(dir.Path, d)));

        Assert.Equal(wanted, TaskCommand.ResolveExecutable("tool", path));
        Assert.Null(TaskCommand.ResolveExecutable("tool", string.Join(':', path.Split(':')[..2])));
    }

    [Theory]
    [InlineData("./tool")]
    [InlineData("/usr/bin/env")]
    [InlineData("sub/does-not-exist")]
    public void ANameWithASlashIsUsedAsGiven(string file) =>
        Assert.Equal(file, TaskCommand.ResolveExecutable(file, "/usr/bin:/bin"));
}
