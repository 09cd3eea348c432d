using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// An agent whose pod started before the control plane listens waits for it on the Backoff schedule
/// (docs/protocol.md, "Deadlines and retries").
/// </summary>
public sealed class LateControlPlaneTests
{
    [Fact]
    public async Task AgentStartedBeforeTheControlPlaneListensWaitsAndSucceeds()
    {
        int port = Ports.Free();
        var script = Tasks.Bash("echo hello");
        var firstFailure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agent = InProcessAgent.RunAsync(Ports.Http(port), script.Token, s =>
        {
            s.BackoffUnit = TimeSpan.FromMilliseconds(250);   // 7.75 s of retries: room to start Kestrel on a busy machine
            s.OnDiagnostic = (level, message) =>
            {
                if (level == DiagnosticLevel.Warn && message.StartsWith("log stream could not be opened", StringComparison.Ordinal))
                    firstFailure.TrySetResult();
            };
        });

        await RunWaits.UntilAsync(firstFailure.Task, agent, "its first attempt failed");
        await using var plane = await DevControlPlane.StartAsync(script, port: port);
        var run = await agent.WaitAsync(InProcessAgent.Timeout);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal("StreamLogs", plane.Record.WireOrder[0]);   // the failed attempts never reached it
        Assert.Equal(1, plane.Record.LogStreams);
        Assert.Equal(["hello"], plane.Record.Messages("stdout"));
        Assert.Contains("Connection refused", run.Diagnostics);
    }
}
