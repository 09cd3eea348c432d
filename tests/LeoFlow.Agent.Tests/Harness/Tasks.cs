using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>Scripts for the usual tasks, and what their log said.</summary>
public static class Tasks
{
    /// <summary>Every await on the control plane's record is bounded by this.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static ControlPlaneScript Bash(string script) => new() { Spec = new TaskSpec { Operator = "bash", Entrypoint = script } };

    /// <summary>A callable of tests/python/sample_tasks.py run through the stand-in leoflow_runtime.</summary>
    public static ControlPlaneScript Python(string callable) => new() { Spec = new TaskSpec { Operator = "python", Entrypoint = "sample_tasks:" + callable } };

    /// <summary>The messages of one stream ("stdout", "stderr", "agent"), in arrival order.</summary>
    public static string[] Messages(this ControlPlaneRecord record, string stream) =>
        record.Lines.Where(l => l.Stream == stream).Select(l => l.Message).ToArray();

    public static Task<ReportStateRequest> Final(this ControlPlaneRecord record) => record.FinalState.WaitAsync(Timeout);

    /// <summary>The calls on the wire, heartbeats left out (they come at their own pace).</summary>
    public static string[] CallsWithoutHeartbeats(this ControlPlaneRecord record) =>
        record.WireOrder.Where(c => c != "Heartbeat").ToArray();
}
