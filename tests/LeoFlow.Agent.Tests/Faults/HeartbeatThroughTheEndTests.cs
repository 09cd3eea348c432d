using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// The control plane reaps a RUNNING task after 90 s without a heartbeat, so heartbeats go on
/// after the task's process ended: through a slow return-value push and a slow final report.
/// </summary>
public sealed class HeartbeatThroughTheEndTests
{
    /// <summary>Holds the answer until <paramref name="count"/> more heartbeats arrived: stopped heartbeats show as a deadline.</summary>
    private static Task MoreHeartbeats(ControlPlaneRecord record, int count, CancellationToken cancel) =>
        record.WhenCalledAsync("Heartbeat", record.CallCount("Heartbeat") + count, cancel);

    [Fact]
    public async Task HeartbeatsGoOnThroughTheReturnValuePushAndTheFinalReport()
    {
        var script = Tasks.Bash("""echo first; echo last; printf '{"n": 1}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        script.Before("PushXCom", async (record, cancel) =>
        {
            await record.WhenLineAsync(l => l is { Stream: "stdout", Message: "last" }, cancel);
            await MoreHeartbeats(record, 2, cancel);
        });
        script.Before("ReportState:SUCCESS", (record, cancel) => MoreHeartbeats(record, 2, cancel));
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s =>
        {
            s.HeartbeatInterval = TimeSpan.FromMilliseconds(50);
            s.RpcTimeout = TimeSpan.FromSeconds(5);
        });

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        var events = plane.Record.Events.Select(e => e.What).ToList();
        Assert.Equal(1, events.Count(e => e == "PushXCom"));                    // answered within its first deadline
        Assert.Equal(1, events.Count(e => e == "ReportState:SUCCESS"));
        int lastLine = plane.Record.Lines.ToList().FindIndex(l => l is { Stream: "stdout", Message: "last" });
        int push = events.IndexOf("PushXCom"), report = events.IndexOf("ReportState:SUCCESS"), final = events.IndexOf("state:SUCCESS");
        Assert.True(push < report && report < final, string.Join(", ", events));
        var afterLastLine = plane.Record.Events.Select((e, i) => (e, i)).Where(x => x.e.What == "Heartbeat" && x.e.LinesBefore > lastLine).ToArray();
        Assert.True(afterLastLine.Count(x => x.i > push && x.i < report) >= 2, string.Join(", ", events));
        Assert.True(afterLastLine.Count(x => x.i > report && x.i < final) >= 2, string.Join(", ", events));
    }
}
