using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// The control plane restarting under a running task (a deploy): the task goes on, the log and
/// the heartbeats follow it to the new process, and the final state reaches the new one.
/// </summary>
public sealed class RestartTests
{
    private const int Lines = 200;

    /// <summary>Prints the first half of its lines, waits for <paramref name="flag"/> to exist, prints the rest.</summary>
    private static ControlPlaneScript HalfNowHalfLater(string flag) => Tasks.Bash($"""
        for i in $(seq 1 {Lines / 2}); do echo $i; done
        while [ ! -e '{flag}' ]; do sleep 0.05; done
        for i in $(seq {Lines / 2 + 1} {Lines}); do echo $i; done
        """);

    [Fact]
    public async Task ControlPlaneRestartedMidRunGetsTheRestOfTheLogAndTheFinalState()
    {
        using var dir = new TempDirectory();
        string flag = Path.Join(dir.Path, "go");
        var script = HalfNowHalfLater(flag);
        int port = Ports.Free();
        var old = await DevControlPlane.StartAsync(script, port: port);
        try
        {
            var agent = InProcessAgent.RunAsync(Ports.Http(port), script.Token, s =>
            {
                s.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
                s.BackoffUnit = TimeSpan.FromMilliseconds(250);
            });
            await RunWaits.UntilAsync(old.Record.WhenLineAsync(l => l is { Stream: "stdout", Message: "100" }), agent, "the first half of the log arrived");

            await old.DisposeAsync();
            await using var plane = await DevControlPlane.StartAsync(script, port: port);
            await RunWaits.UntilAsync(plane.Record.WhenCalledAsync("Heartbeat", 1), agent, "a heartbeat reached the new control plane");
            await File.WriteAllTextAsync(flag, "");
            var run = await agent.WaitAsync(InProcessAgent.Timeout);

            Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
            Assert.Equal([TaskState.Running], old.Record.States.Select(s => s.State));
            Assert.Equal([TaskState.Success], plane.Record.States.Select(s => s.State));
            Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
            Assert.True(old.Record.Heartbeats >= 1);
            Assert.Empty(TaskOutput.Missing(Lines, run.FallbackOutput, old.Record, plane.Record));
            // Each plane counts its own streams: the old one had the first, the new one the re-opened one.
            Assert.Equal(1, old.Record.LogStreams);
            Assert.True(plane.Record.LogStreams >= 1);
            Assert.StartsWith("✓ task succeeded in ", plane.Record.Lines[^1].Message);
        }
        finally
        {
            await old.DisposeAsync();
        }
    }

    [Fact]
    public async Task ControlPlaneDownWhenTheTaskEndsGetsTheFinalStateWhenItIsBack()
    {
        using var dir = new TempDirectory();
        string flag = Path.Join(dir.Path, "go");
        var script = HalfNowHalfLater(flag);
        int port = Ports.Free();
        var old = await DevControlPlane.StartAsync(script, port: port);
        try
        {
            var reportRetried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var agent = InProcessAgent.RunAsync(Ports.Http(port), script.Token, s =>
            {
                s.BackoffUnit = TimeSpan.FromMilliseconds(250);
                s.OnDiagnostic = (_, message) =>
                {
                    if (message.StartsWith("ReportState failed; retrying", StringComparison.Ordinal)) reportRetried.TrySetResult();
                };
            });
            await RunWaits.UntilAsync(old.Record.WhenLineAsync(l => l is { Stream: "stdout", Message: "100" }), agent, "the first half of the log arrived");

            await old.DisposeAsync();
            await File.WriteAllTextAsync(flag, "");   // the task ends while no control plane listens
            await RunWaits.UntilAsync(reportRetried.Task, agent, "the final report was refused once");
            await using var plane = await DevControlPlane.StartAsync(script, port: port);
            var run = await agent.WaitAsync(InProcessAgent.Timeout);

            Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
            Assert.Equal([TaskState.Running], old.Record.States.Select(s => s.State));
            Assert.Equal([TaskState.Success], plane.Record.States.Select(s => s.State));
            // The log could not wait for the control plane: what the old one missed is on the agent's stdout.
            Assert.Empty(TaskOutput.Missing(Lines, run.FallbackOutput, old.Record, plane.Record));
            Assert.Contains($"[stdout INFO] {Lines}", run.FallbackOutput);
            Assert.Contains("[agent INFO] ✓ task succeeded in ", run.FallbackOutput);
        }
        finally
        {
            await old.DisposeAsync();
        }
    }
}
