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
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;

    private Heartbeat(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, TimeSpan interval, Termination termination, IDiagnostics diagnostics)
    {
        _timer = new PeriodicTimer(interval);
        _loop = LoopAsync(client, calls, span, termination, diagnostics);
    }

    public static Heartbeat Start(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, TimeSpan interval, Termination termination, IDiagnostics diagnostics) =>
        new(client, calls, span, interval, termination, diagnostics);

    private async Task LoopAsync(AgentService.AgentServiceClient client, ControlPlaneCalls calls, TraceSpan span, Termination termination, IDiagnostics diagnostics)
    {
        await Task.Yield();
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
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false));   // false once disposed
    }

    public async ValueTask DisposeAsync()
    {
        // The timer ends the wait between beats without an exception (a first exception costs the
        // runtime its unwind tables: about 5 % of a short task's CPU); the token ends a beat in flight.
        _timer.Dispose();
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
