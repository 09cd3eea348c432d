using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tracing;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent;

/// <summary>
/// Heartbeats from the moment the task is RUNNING until the final report is delivered: the first
/// at once (so short tasks are covered by the control plane's 90 s reaper too), then every
/// interval. A should_terminate answer stops the task. Failures are logged and the beat goes on.
/// Beats have no span of their own (a long task would have thousands): they carry the
/// traceparent of the task's root span.
/// </summary>
internal sealed class Heartbeat : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private Heartbeat(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, TimeSpan interval, Termination termination, IDiagnostics diagnostics)
    {
        _loop = LoopAsync(client, calls, span, interval, termination, diagnostics);
    }

    public static Heartbeat Start(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, TimeSpan interval, Termination termination, IDiagnostics diagnostics) =>
        new(client, calls, span, interval, termination, diagnostics);

    private async Task LoopAsync(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, TimeSpan interval, Termination termination, IDiagnostics diagnostics)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var reply = await calls.CallAsync("Heartbeat", span,
                    o => client.HeartbeatAsync(new HeartbeatRequest { SentAt = Timestamp.FromDateTime(DateTime.UtcNow) }, o),
                    RetryPolicy.None, _stop.Token).ConfigureAwait(false);
                if (reply.ShouldTerminate && termination.Reason is null)
                {
                    diagnostics.Warn("control plane asked to terminate the task");
                    termination.Request("terminated by control plane");
                }
            }
            catch (RpcException e) when (!_stop.IsCancellationRequested)
            {
                diagnostics.Warn("heartbeat failed", ControlPlaneCalls.Describe(e));
            }
            catch (RpcException) { /* cancelled by DisposeAsync: the task is over */ }
        }
        while (await Tick(timer).ConfigureAwait(false));
    }

    private async Task<bool> Tick(PeriodicTimer timer)
    {
        try { return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
