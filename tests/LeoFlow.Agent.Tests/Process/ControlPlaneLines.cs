using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>Waiting for a task's line to reach the control plane: how tests synchronise with a running task.</summary>
internal static class ControlPlaneLines
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Completes with the first line matching; subscribe before the agent starts.</summary>
    public static Task<LogLine> WaitForAsync(ControlPlaneRecord record, string stream, string message)
    {
        var seen = new TaskCompletionSource<LogLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        record.LineReceived += l => { if (l.Stream == stream && l.Message == message) seen.TrySetResult(l); };
        foreach (var l in record.Lines)
            if (l.Stream == stream && l.Message == message) seen.TrySetResult(l);
        return seen.Task.WaitAsync(Timeout);
    }
}
