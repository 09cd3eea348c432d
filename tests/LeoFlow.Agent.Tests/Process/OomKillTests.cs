using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>A SIGKILL from the kernel's OOM killer is named as such, from the memory cgroup's oom_kill counter.</summary>
public sealed class OomKillTests
{
    [Theory]
    [InlineData("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", 2L)]   // cgroup v2 memory.events
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", 7L)]                     // cgroup v1 memory.oom_control
    [InlineData("oom_kill_disable 0\nunder_oom 0\n", null)]                               // kernels before 4.13
    [InlineData("oom_kill lots\n", null)]
    [InlineData("", null)]
    public void ParsesTheOomKillCounter(string content, long? expected) => Assert.Equal(expected, CgroupOomKills.Parse(content));

    [Theory]
    [InlineData("0::/kubepods/pod1/c1\n", "kubepods/pod1/c1/memory.events")]                       // v2, host cgroup namespace
    [InlineData("0::/\n", "memory.events")]                                                        // v2, own cgroup namespace
    [InlineData("0::/not/mounted/here\n", "memory.events")]                                        // v2, only the subtree mounted
    [InlineData("4:memory:/docker/abc\n1:name=systemd:/\n0::/\n", "memory/docker/abc/memory.oom_control")] // v1 (hybrid)
    [InlineData("5:cpu,memory:/x\n", "memory/x/memory.oom_control")]
    public void FindsTheAgentsOwnMemoryCgroup(string procSelfCgroup, string expected)
    {
        using var dir = new TempDirectory();
        foreach (var file in new[] { "kubepods/pod1/c1/memory.events", "memory.events", "memory/docker/abc/memory.oom_control", "memory/x/memory.oom_control" })
        {
            if (file == "memory.events" && expected != file) continue;   // v1 hosts have no v2 memory controller
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(dir.Path, "root", file))!);
            File.WriteAllText(Path.Join(dir.Path, "root", file), "oom_kill 4\n");
        }
        string cgroupFile = Path.Join(dir.Path, "cgroup");
        File.WriteAllText(cgroupFile, procSelfCgroup);

        var counter = CgroupOomKills.ForCurrentProcess(cgroupFile, Path.Join(dir.Path, "root"));

        Assert.Equal(Path.Join(dir.Path, "root", expected), counter.File);
        Assert.Equal(4, counter.Read());
    }

    [Fact]
    public void WithoutAMemoryCgroupNothingIsEverReported()
    {
        using var dir = new TempDirectory();
        string cgroupFile = Path.Join(dir.Path, "cgroup");
        File.WriteAllText(cgroupFile, "0::/\n");

        Assert.Null(CgroupOomKills.ForCurrentProcess(cgroupFile, Path.Join(dir.Path, "root")).Read());
        Assert.Null(CgroupOomKills.ForCurrentProcess(Path.Join(dir.Path, "missing")).Read());
    }

    [Fact]
    public async Task TheRunnerCountsOomKillsDuringTheRun()
    {
        var counter = new SteppingCounter();
        var runner = new PosixCommandRunner(new ChildReaper(reapOrphans: false), TimeSpan.FromSeconds(2), counter);

        var (exit, _) = await ChildProgram.RunAsync(ChildProgram.Bash("kill -KILL $$"), runner);

        Assert.Equal((137, 9, 1L), (exit.ExitCode, exit.Signal, exit.OomKills));
    }

    [Theory]
    [InlineData(137, 9, 1L, "killed by the OOM killer")]
    [InlineData(137, 9, 0L, "killed by SIGKILL")]
    [InlineData(1, 0, 1L, "task exited non-zero after the OOM killer killed one of its processes")]
    public async Task TheFailureNamesTheOomKiller(int exitCode, int signal, long oomKills, string message)
    {
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "true" } });

        var result = await RunAsync(plane, new FixedExit(new ProcessExit(exitCode, signal, null, oomKills)));

        Assert.Equal(message, result.Error);
        var final = await plane.Record.FinalState;
        Assert.Equal((TaskState.Failed, exitCode, message), (final.State, final.ExitCode, final.ErrorMessage));
        Assert.EndsWith(": " + message, plane.Record.Lines[^1].Message);
    }

    [Fact]
    public async Task AnOomKillInASucceedingTaskDoesNotFailIt()
    {
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = "true" } });

        var result = await RunAsync(plane, new FixedExit(new ProcessExit(0, 0, null, 1)));

        Assert.True(result.Succeeded, result.Error);
    }

    [MemoryCgroupFact]
    public async Task ARealOomKillIsNamed()
    {
        // The agent and its task in a cgroup limited to 400 MiB; the task grows until the kernel
        // kills it, and being the largest process there it is the one killed.
        using var cgroup = MemoryCgroup.Create(400L << 20);
        const string script = "echo growing; exec python3 -c 'x = []\nwhile True: x.append(b\"x\" * (16 << 20))'";
        await using var plane = await DevControlPlane.StartAsync(new ControlPlaneScript { Spec = new TaskSpec { Operator = "bash", Entrypoint = script } });

        using var agent = AgentProcess.StartWrapped(AgentProcess.EnvironmentFor(plane), cgroup.Wrapper);
        var run = await AgentProcess.WaitAsync(agent);

        Assert.True(run.ExitCode == 1, run.Stderr);
        var final = await plane.Record.FinalState;
        Assert.Equal((TaskState.Failed, 137, "killed by the OOM killer"), (final.State, final.ExitCode, final.ErrorMessage));
    }

    /// <summary>The lifecycle with <paramref name="command"/> in place of the real runner.</summary>
    private static async Task<TaskResult> RunAsync(DevControlPlane plane, ICommandRunner command)
    {
        var diagnostics = new RecordingDiagnostics();
        using var connection = AgentChannel.Dial(new ChannelOptions(new Uri("http://" + plane.Address), TokenSource.Fixed(plane.Script.Token), null));
        using var returnValue = ReturnValueFile.Create();
        var runner = new TaskRunner(connection.Client, command, new GrpcLogSink(connection, diagnostics, new FallbackLogWriter(new MemoryStream())),
            returnValue, diagnostics, new TaskRunnerOptions { Version = "test", Hostname = "test-host", Environment = new Dictionary<string, string>() });
        using var termination = new Termination();
        return await runner.RunAsync(termination).WaitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>One more OOM kill at every read: as if the kernel killed something while the task ran.</summary>
    private sealed class SteppingCounter : IOomKillCounter
    {
        private long _count = 10;
        public long? Read() => Interlocked.Increment(ref _count);
    }

    private sealed class FixedExit(ProcessExit exit) : ICommandRunner
    {
        public Task<ProcessExit> RunAsync(ProcessSpec spec, ILineWriter output, CancellationToken terminate) => Task.FromResult(exit);
    }
}
