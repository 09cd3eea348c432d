using System.Threading.Channels;
using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task log over the StreamLogs call. Lines wait in a bounded queue (back-pressure reaches the
/// task's pipe when the control plane is slower than the task) and one writer sends them in
/// order, so stdout and stderr never write to the stream concurrently. If the stream fails or
/// the server rejects it, one warning is logged and every later line goes to the agent's stdout.
/// </summary>
public sealed class GrpcLogSink : ILogSink
{
    /// <summary>Lines buffered between the pipes and the stream.</summary>
    public const int QueueCapacity = 1024;

    /// <summary>Longest wait for the stream's request to go out (a dead control plane is the connect timeout's business).</summary>
    private static readonly TimeSpan OpenTimeout = Channel.ChannelOptions.ConnectTimeout + TimeSpan.FromSeconds(5);

    private readonly AgentConnection _connection;
    private readonly IDiagnostics _diagnostics;
    private readonly FallbackLogWriter _fallback;
    private readonly Channel<LogLine> _queue = System.Threading.Channels.Channel.CreateBounded<LogLine>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abort = new();
    private AsyncDuplexStreamingCall<LogLine, LogAck>? _call;
    private Task _pump = Task.CompletedTask;
    private Task _responses = Task.CompletedTask;
    private volatile bool _failed;
    private volatile bool _closed;

    public GrpcLogSink(AgentConnection connection, IDiagnostics diagnostics, FallbackLogWriter fallback)
    {
        _connection = connection;
        _diagnostics = diagnostics;
        _fallback = fallback;
    }

    public async Task OpenAsync()
    {
        var sent = _connection.ExpectLogStream();
        try
        {
            _call = _connection.Client.StreamLogs(new CallOptions(cancellationToken: _abort.Token).WithWaitForReady());
        }
        catch (RpcException e)
        {
            Fail(e);
            return;
        }
        _responses = WatchResponsesAsync(_call);
        _pump = PumpAsync(_call);
        await Task.WhenAny(sent, _responses, Task.Delay(OpenTimeout)).ConfigureAwait(false);
    }

    public ValueTask WriteAsync(LogLine line)
    {
        if (_call is null || _closed || _failed && _queue.Reader.Count == 0)
        {
            _fallback.Write(line);
            return ValueTask.CompletedTask;
        }
        return _queue.Writer.WriteAsync(line);
    }

    public async Task CloseAsync(TimeSpan timeout)
    {
        _closed = true;
        _queue.Writer.TryComplete();
        if (_call is null) return;
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _pump.WaitAsync(deadline.Token).ConfigureAwait(false);
            if (!_failed)
            {
                await _call.RequestStream.CompleteAsync().WaitAsync(deadline.Token).ConfigureAwait(false);
                await _responses.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            _diagnostics.Warn($"log stream did not drain within {timeout.TotalSeconds:0.#} s; closing it");
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            Fail(e);
        }
        finally
        {
            _failed = true;          // lines still queued go to stdout
            _abort.Cancel();
            await _pump.ConfigureAwait(false);
            _call.Dispose();
        }
    }

    private async Task PumpAsync(AsyncDuplexStreamingCall<LogLine, LogAck> call)
    {
        await Task.Yield();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                if (_failed) { _fallback.Write(line); continue; }
                try
                {
                    await call.RequestStream.WriteAsync(line).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or OperationCanceledException)
                {
                    Fail(e);
                    _fallback.Write(line);
                }
            }
        }
    }

    private async Task WatchResponsesAsync(AsyncDuplexStreamingCall<LogLine, LogAck> call)
    {
        try
        {
            // The control plane never acknowledges; the call only ends, with a status.
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false)) { }
        }
        catch (RpcException e) when (!_abort.IsCancellationRequested)
        {
            Fail(e);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException) { /* we closed it */ }
    }

    private void Fail(Exception e)
    {
        if (_failed) return;
        _failed = true;
        string cause = e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message;
        _diagnostics.Warn("log stream unavailable; task log lines go to the agent's stdout instead", cause);
    }
}
