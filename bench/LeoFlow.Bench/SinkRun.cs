using System.Diagnostics;
using Leoflow.Agent.V1;

namespace LeoFlow.Bench;

/// <summary>What the minimal sink saw of one agent run, with Stopwatch timestamps (0: not yet).</summary>
internal sealed class SinkRun(TaskSpec spec, IReadOnlyDictionary<string, string>? variables = null)
{
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ReportStateRequest> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _firstConnection, _firstRequest;

    public TaskSpec Spec { get; } = spec;

    /// <summary>What GetVariables answers (none by default).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; } = variables ?? new Dictionary<string, string>();

    /// <summary>The agent being measured; its peak RSS and CPU time are sampled when it reports its final state.</summary>
    public Child? Agent { get; set; }

    public LogFrameCounter Logs { get; } = new();

    /// <summary>When Kestrel handed over the agent's first TCP connection.</summary>
    public long FirstConnection => Interlocked.Read(ref _firstConnection);

    /// <summary>When the headers of the agent's first request (its first RPC) had arrived.</summary>
    public long FirstRequest => Interlocked.Read(ref _firstRequest);

    /// <summary>When the first log frame arrived (the agent's "task started" line).</summary>
    public long FirstFrame { get; private set; }

    /// <summary>When the batch holding the last numbered line seen so far arrived.</summary>
    public long LastLine { get; private set; }

    public Task FirstFrameArrived => _firstFrame.Task;
    public Task<ReportStateRequest> Final => _final.Task;

    public void MarkConnection() => Interlocked.CompareExchange(ref _firstConnection, Stopwatch.GetTimestamp(), 0);

    public void MarkRequest() => Interlocked.CompareExchange(ref _firstRequest, Stopwatch.GetTimestamp(), 0);

    /// <summary>Called by the StreamLogs reader after each batch of frames.</summary>
    public void Batch(long numberedBefore)
    {
        long now = Stopwatch.GetTimestamp();
        if (FirstFrame == 0 && Logs.Frames > 0)
        {
            FirstFrame = now;
            _firstFrame.TrySetResult();
        }
        if (Logs.Numbered > numberedBefore) LastLine = now;
    }

    /// <summary>A terminal ReportState: the agent is still alive (it waits for this answer), so its peak RSS and CPU time are final now.</summary>
    public void Report(ReportStateRequest request)
    {
        if (request.State is TaskState.Running or TaskState.Unspecified) return;
        Agent?.SampleFinal();
        _final.TrySetResult(request);
    }
}
