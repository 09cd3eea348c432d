using System.Text.Json;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>The leoflow-agent executable, run as a child process against the dev control plane.</summary>
public sealed class BinaryTests
{
    private static string[] StderrLines(BinaryRun run) => run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task BashTaskSucceedsAndExitsZero()
    {
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "echo hi" } });

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Contains(plane.Record.Lines, l => l is { Stream: "stdout", Message: "hi", LineNumber: 1 });
    }

    /// <summary>The hand-framed log stream and the generated client's unary calls go through one handler, so one HTTP/2 connection.</summary>
    [Fact]
    public async Task TheLogStreamAndEveryUnaryCallShareOneConnection()
    {
        var script = Tasks.Bash("""printf '{"ok": true}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["StreamLogs", "Register", "GetTaskSpec", "GetVariables", "GetConnections", "ReportState", "PushXCom", "ReportState"],
            plane.Record.WireOrder.Where(c => c != "Heartbeat"));
        Assert.Contains("Heartbeat", plane.Record.WireOrder);
        Assert.Equal(1, plane.Record.Connections);
    }

    [Fact]
    public async Task StartedWithItsStandardDescriptorsClosedTheAgentStillRunsTheTask()
    {
        // A pipe must not take number 0, 1 or 2: the spawn would put it in the task's place.
        var script = new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "echo out; echo err >&2" } };
        await using var plane = await DevControlPlane.StartAsync(script);
        using var agent = AgentProcess.StartWrapped(AgentProcess.EnvironmentFor(plane), "bash", "-c", "exec 0<&- 1>&- 2>&- \"$0\"");
        var run = await AgentProcess.WaitAsync(agent);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal(["out"], plane.Record.Messages("stdout"));
        Assert.Equal(["err"], plane.Record.Messages("stderr"));
    }

    [Fact]
    public async Task PythonTaskSucceedsThroughTheExecutable()
    {
        var script = Tasks.Python("add");
        script.Spec.XcomInputMapping["numbers"] = "extract";
        script.XComs["extract"] = "[4, 5]"u8.ToArray();
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("""{"total": 9}""", plane.Record.Pushed["return_value"].Value.ToStringUtf8());
    }

    [Fact]
    public async Task FailedTaskExitsOne()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo failing; exit 4"));

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.Equal(1, run.ExitCode);
        var final = await plane.Record.Final();
        Assert.Equal((TaskState.Failed, 4), (final.State, final.ExitCode));
        var last = JsonDocument.Parse(StderrLines(run)[^1]).RootElement;
        Assert.Equal("ERROR", last.GetProperty("level").GetString());
        Assert.Equal("task failed", last.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task TheAgentTokenNeverReachesTheTaskNorAnyOutput()
    {
        var script = Tasks.Bash("""env; echo "token=${LEOFLOW_AGENT_TOKEN-unset}" """);
        script.Token = "tok-" + Guid.NewGuid().ToString("N");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var stdout = plane.Record.Messages("stdout");
        Assert.Contains("LEOFLOW_TASK_INSTANCE_ID=ti-test", stdout);
        Assert.Contains($"LEOFLOW_CONTROL_PLANE_ADDR={plane.Address}", stdout);
        Assert.Contains("token=unset", stdout);
        Assert.DoesNotContain(plane.Record.Lines, l => l.Message.Contains(script.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(script.Token, run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task MissingAddressIsAConfigurationErrorWithExitTwo()
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?> { ["LEOFLOW_AGENT_TOKEN"] = "token-for-config-tests" });

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("LEOFLOW_CONTROL_PLANE_ADDR", line);
    }

    [Theory]
    [InlineData("LEOFLOW_AGENT_TOKEN", "", "LEOFLOW_AGENT_TOKEN is empty")]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "/nonexistent/token", "not both")]
    [InlineData("LEOFLOW_CONTROL_PLANE_ADDR", "ftp://cp:1", "unsupported scheme")]
    [InlineData("LEOFLOW_AGENT_GRACE_PERIOD", "soon", "LEOFLOW_AGENT_GRACE_PERIOD \\\"soon\\\" is invalid")]
    [InlineData("LEOFLOW_AGENT_TLS_CA", "/nonexistent/ca.crt", "LEOFLOW_AGENT_TLS_CA")]
    [InlineData("LEOFLOW_AGENT_TOKEN", "x", "LEOFLOW_AGENT_TOKEN holds a token of 1 character(s): a bearer token needs at least 8")]
    [InlineData("LEOFLOW_AGENT_MASK_SECRETS", "yes", "LEOFLOW_AGENT_MASK_SECRETS \\\"yes\\\" is invalid: want true or false")]
    public async Task BadConfigurationExitsTwoWithOneLine(string name, string value, string expected)
    {
        var env = new Dictionary<string, string?>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = "127.0.0.1:1",
            ["LEOFLOW_AGENT_TOKEN"] = "token-for-config-tests",
            ["LEOFLOW_AGENT_INSECURE"] = "false",
            [name] = value,
        };

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(StderrLines(run));
        var json = JsonDocument.Parse(line).RootElement;
        Assert.Equal("ERROR", json.GetProperty("level").GetString());
        Assert.Equal("configuration error", json.GetProperty("msg").GetString());
        Assert.Contains(expected, line);
        Assert.Empty(run.Stdout);
    }

    /// <summary>
    /// A token or CA file that is missing, a directory, a FIFO (whose open would block for ever)
    /// or a device (/dev/zero: endless) is one sentence naming it and exit 2, not a hang, a crash,
    /// or a runtime resource key (the binary has no message texts of the runtime's).
    /// </summary>
    [Theory]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "missing", "does not exist")]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "directory", "is a directory, not a regular file")]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "fifo", "is a named pipe (FIFO), not a regular file")]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "/dev/zero", "is a character device, not a regular file")]
    [InlineData("LEOFLOW_AGENT_TOKEN_FILE", "huge", "is larger than 64 KiB")]
    [InlineData("LEOFLOW_AGENT_TLS_CA", "missing", "does not exist")]
    [InlineData("LEOFLOW_AGENT_TLS_CA", "directory", "is a directory, not a file")]
    public async Task AnUnusableFileIsOneSentenceNamingItAndExitTwo(string name, string kind, string expected)
    {
        using var dir = new TempDirectory();
        string path = kind switch
        {
            "missing" => Path.Join(dir.Path, "absent"),
            "directory" => dir.Path,
            "fifo" => Fifo(Path.Join(dir.Path, "token")),
            "huge" => dir.WriteFile("token", new string('t', 65 * 1024)),
            _ => kind,
        };
        var env = new Dictionary<string, string?>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = "https://127.0.0.1:1",
            [name] = path,
        };
        if (name != "LEOFLOW_AGENT_TOKEN_FILE") env["LEOFLOW_AGENT_TOKEN"] = "token-for-config-tests";

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(StderrLines(run));
        string error = JsonDocument.Parse(line).RootElement.GetProperty("error").GetString()!;
        Assert.Equal($"{name} \"{path}\" {expected}", error);
    }

    private static string Fifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Fact]
    public async Task UnexpectedArgumentsExitTwoWithOneLine()
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "frobnicate", "--now");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unexpected arguments: frobnicate --now", Assert.Single(StderrLines(run)));
    }

    [Fact]
    public async Task VersionPrintsVersionCommitAndRuntime()
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "--version");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^leoflow-agent \S+ \(commit \S+, linux-\S+\)\n$", run.Stdout);
        Assert.Empty(run.Stderr);
    }

    [Fact]
    public async Task VersionJsonIsValidJson()
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "version", "--json");

        Assert.Equal(0, run.ExitCode);
        var json = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(["version", "commit", "runtime"], json.EnumerateObject().Select(p => p.Name));
        Assert.All(json.EnumerateObject(), p => Assert.False(string.IsNullOrWhiteSpace(p.Value.GetString())));
        Assert.StartsWith("linux-", json.GetProperty("runtime").GetString());
        var text = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "--version");
        Assert.Contains($"{json.GetProperty("version").GetString()} (commit {json.GetProperty("commit").GetString()}, ", text.Stdout);
    }

    [Fact]
    public async Task InstallCopiesItselfAtomicallyAndIdempotently()
    {
        using var dest = new TempDirectory();
        byte[] self = await File.ReadAllBytesAsync(Repo.AgentBinary);

        for (int i = 0; i < 2; i++)
        {
            var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "install", dest.Path);

            Assert.True(run.ExitCode == 0, run.Stderr);
            string installed = Path.Join(dest.Path, "leoflow-agent");
            Assert.Equal([installed], Directory.GetFileSystemEntries(dest.Path));   // no temp file left behind
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(installed));
            Assert.Equal(self, await File.ReadAllBytesAsync(installed));
        }
    }

    [Fact]
    public async Task InstallToAFilePathUsesThatName()
    {
        using var dest = new TempDirectory();
        string target = Path.Join(dest.Path, "agent");
        await File.WriteAllTextAsync(target, "an older copy");

        var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "install", target);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(await File.ReadAllBytesAsync(Repo.AgentBinary), await File.ReadAllBytesAsync(target));
        Assert.True(File.GetUnixFileMode(target).HasFlag(UnixFileMode.OtherExecute));
    }

    [Theory]
    [InlineData("/nonexistent-leoflow-dir/agent", "does not exist")]
    [InlineData("/sys", "/sys/leoflow-agent")]   // sysfs refuses new files even to root
    public async Task InstallToAnUnusableDestinationFailsWithOneLine(string destination, string expected)
    {
        var run = await AgentProcess.RunAsync(new Dictionary<string, string?>(), "install", destination);

        Assert.NotEqual(0, run.ExitCode);
        var line = Assert.Single(StderrLines(run));
        Assert.StartsWith("leoflow-agent: install: ", line);
        Assert.Contains(expected, line);
        NoResourceKeys(line);
    }

    /// <summary>The binary is built with UseSystemResourceKeys: runtime messages there can be bare keys, never the agent's.</summary>
    private static void NoResourceKeys(string text)
    {
        Assert.DoesNotContain("IO_", text);
        Assert.DoesNotContain("NotFound", text);
        Assert.DoesNotContain("LineNumber", text);
        Assert.DoesNotMatch("[A-Za-z]+_[A-Za-z]+_", text.Replace("LEOFLOW_", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMissingTmpdirIsOneSentenceWithThePath()
    {
        using var dir = new TempDirectory();
        string missing = Path.Join(dir.Path, "missing");
        var env = new Dictionary<string, string?> { ["LEOFLOW_CONTROL_PLANE_ADDR"] = "127.0.0.1:1", ["LEOFLOW_AGENT_TOKEN"] = "token-for-tmpdir-tests", ["TMPDIR"] = missing };

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(1, run.ExitCode);
        var last = JsonDocument.Parse(StderrLines(run)[^1]).RootElement;
        Assert.Equal("cannot create the return-value directory under TMPDIR", last.GetProperty("msg").GetString());
        Assert.Equal($"{missing}: No such file or directory", last.GetProperty("error").GetString());
        NoResourceKeys(run.Stderr);
    }

    [Fact]
    public async Task ATmpdirThatIsAFileIsOneSentenceWithThePath()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("file", "");
        var env = new Dictionary<string, string?> { ["LEOFLOW_CONTROL_PLANE_ADDR"] = "127.0.0.1:1", ["LEOFLOW_AGENT_TOKEN"] = "token-for-tmpdir-tests", ["TMPDIR"] = file };

        var run = await AgentProcess.RunAsync(env);

        Assert.Equal(1, run.ExitCode);
        var last = JsonDocument.Parse(StderrLines(run)[^1]).RootElement;
        Assert.Equal($"{file}: Not a directory", last.GetProperty("error").GetString());
        NoResourceKeys(run.Stderr);
    }

    [Theory]
    [InlineData("secret-value", "line 1, byte 1")]
    [InlineData("{\"key\": password}", "line 1, byte 9")]
    public async Task AReturnValueThatIsNotJsonIsASentenceThatKeepsTheFileOut(string content, string where)
    {
        var script = Tasks.Bash($"printf '%s' '{content}' > \"$LEOFLOW_RETURN_VALUE_PATH\"");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await AgentProcess.RunAsync(AgentProcess.EnvironmentFor(plane));

        Assert.Equal(1, run.ExitCode);
        var final = await plane.Record.Final();
        Assert.Equal(TaskState.Failed, final.State);
        Assert.Matches($@"^return value /\S+/leoflow-rv-\w+/return_value\.json is not valid JSON \({where}\)$", final.ErrorMessage);
        Assert.EndsWith(final.ErrorMessage, plane.Record.Lines[^1].Message);
        foreach (var text in new[] { final.ErrorMessage, run.Stderr })
        {
            NoResourceKeys(text);
            Assert.DoesNotContain("'s'", text);
            Assert.DoesNotContain("'p'", text);
        }
    }

    [Fact]
    public async Task StdoutAndStderrSentToOneFileKeepEveryLine()
    {
        // `leoflow-agent >agent.log 2>&1`: both descriptors share one file offset. Written at
        // offsets of their own (pwrite), each stream overwrote the other's lines.
        var script = Tasks.Bash("for i in $(seq 1 200); do echo \"out $i\"; echo \"err $i\" >&2; done");
        script.Unimplemented.Add("StreamLogs");   // the task log goes to the agent's stdout, its diagnostics to stderr
        await using var plane = await DevControlPlane.StartAsync(script);
        using var dir = new TempDirectory();
        string log = Path.Join(dir.Path, "agent.log");
        var env = AgentProcess.EnvironmentFor(plane);
        env["AGENT_LOG"] = log;

        using var process = AgentProcess.StartWrapped(env, "bash", "-c", "exec \"$1\" >\"$AGENT_LOG\" 2>&1", "bash");
        var run = await AgentProcess.WaitAsync(process);

        Assert.Equal(0, run.ExitCode);
        var lines = File.ReadAllLines(log);
        for (int i = 1; i <= 200; i++)
        {
            Assert.Contains($"[stdout INFO] out {i}", lines);
            Assert.Contains($"[stderr ERROR] err {i}", lines);
        }
        var diagnostics = lines.Where(l => !l.StartsWith('[')).ToArray();
        Assert.Contains(diagnostics, l => l.Contains("log stream unavailable", StringComparison.Ordinal));
        Assert.All(diagnostics, l => JsonDocument.Parse(l).Dispose());   // whole lines, none cut into by the other stream
    }

    [Fact]
    public async Task AHostNameIsResolvedByTheBinary()
    {
        // The binary has no DNS resolver of the channel's (eng/substitutions.xml): the name is
        // the HTTP handler's to resolve, as for any http:// address.
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("echo resolved"));
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_CONTROL_PLANE_ADDR"] = $"localhost:{plane.Port}";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["resolved"], plane.Record.Messages("stdout"));
    }
}
