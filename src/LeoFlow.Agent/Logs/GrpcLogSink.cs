using System.Buffers;
using System.IO.Pipelines;
using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task log over StreamLogs. Lines are encoded once into a pipe of pooled memory bounded by
/// <see cref="BufferBytes"/>; when it is full, writers wait, so back-pressure reaches the task's
/// pipes and nothing is dropped. One pump sends whatever is buffered as one write (many frames
/// per DATA frame). A broken stream is re-opened on the <see cref="Backoff"/> schedule and the
/// unsent batch goes again; a stream the control plane refuses, one that never comes back, or one
/// that stalls for <see cref="LogSinkOptions.StallTimeout"/> hands every later line to the agent's
/// stdout instead, with one warning — lines are never silently discarded.
/// </summary>
public sealed class GrpcLogSink : ILogSink
{
    /// <summary>Encoded bytes buffered between the task's pipes and the stream (back-pressure above).</summary>
    public const long BufferBytes = 8 * 1024 * 1024;

    private readonly AgentConnection _connection;
    private readonly IDiagnostics _diagnostics;
    private readonly FallbackLogWriter _fallback;
    private readonly LogSinkOptions _options;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: BufferBytes, resumeWriterThreshold: BufferBytes / 2, useSynchronizationContext: false));
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private LogStreamCall? _call;
    private Task _pump = Task.CompletedTask;
    private bool _closed;
    private volatile bool _fallbackOnly;
    private long _fallbackLines;
    private Status? _lastFailure;

    public GrpcLogSink(AgentConnection connection, IDiagnostics diagnostics, FallbackLogWriter fallback, LogSinkOptions? options = null)
    {
        _connection = connection;
        _diagnostics = diagnostics;
        _fallback = fallback;
        _options = options ?? new LogSinkOptions();
    }

    /// <summary>
    /// Opens the stream, waiting on the Backoff schedule for a control plane that is not up yet.
    /// Returns why the control plane cannot be reached, or null (also when it refused the stream:
    /// then the log goes to stdout and the task still runs).
    /// </summary>
    public async Task<string?> OpenAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool opened = await ConnectAsync().ConfigureAwait(false);
        _pump = Task.Run(PumpAsync);
        if (opened || _lastFailure is not { } failure) return null;
        if (failure.DebugException is ChannelSecurityException) return failure.Detail;   // the channel cannot be trusted: no RPC either
        return IsTransient(failure)
            ? $"control plane at {_connection.Address.Authority} unreachable after {clock.Elapsed.TotalSeconds:0} s: {Describe(failure)}"
            : null;   // reachable, but it refused the log stream: the log goes to stdout, the task runs
    }

    public async ValueTask WriteAsync(LogRecord record)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                Fallback(record.ToLogLine());
                return;
            }
            int size = LogFrame.Size(record);
            LogFrame.Write(record, _pipe.Writer.GetSpan(size));
            _pipe.Writer.Advance(size);
            await _pipe.Writer.FlushAsync().ConfigureAwait(false);   // waits while the buffer is full
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task CloseAsync(TimeSpan timeout)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        _closed = true;
        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        _writeLock.Release();

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _pump.WaitAsync(deadline.Token).ConfigureAwait(false);
            if (_call is { } call && !_fallbackOnly)
            {
                var status = await call.FinishAsync(deadline.Token).ConfigureAwait(false);
                if (status.StatusCode != StatusCode.OK)
                    _diagnostics.Warn("log stream ended with an error; the control plane may have missed lines", Describe(status));
            }
        }
        catch (OperationCanceledException)
        {
            _diagnostics.Warn($"log stream did not drain within {timeout.TotalSeconds:0.#} s; the rest goes to stdout");
            GiveUp(null);
            await _pump.ConfigureAwait(false);   // now only writes what is left to stdout
        }
        finally
        {
            _call?.Dispose();
        }
        if (_fallbackLines > 0)
            _diagnostics.Warn($"{_fallbackLines} task log lines were written to the agent's stdout instead of the control plane");
    }

    private async Task PumpAsync()
    {
        var reader = _pipe.Reader;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var frames = result.Buffer;
            if (!frames.IsEmpty) await DeliverAsync(frames).ConfigureAwait(false);
            reader.AdvanceTo(frames.End);
            if (result.IsCompleted) break;
        }
        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Sends one batch, re-opening the stream as often as the Backoff schedule allows.</summary>
    private async Task DeliverAsync(ReadOnlySequence<byte> frames)
    {
        while (!_fallbackOnly)
        {
            if (_call is null && !await ConnectAsync().ConfigureAwait(false)) break;
            var call = _call!;
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            stall.CancelAfter(_options.StallTimeout);
            try
            {
                if (!call.Ended)
                {
                    await call.WriteAsync(frames, stall.Token).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                if (_shutdown.IsCancellationRequested) break;
                if (stall.IsCancellationRequested)
                {
                    GiveUp($"the control plane stopped reading for {_options.StallTimeout.TotalSeconds:0} s");
                    break;
                }
            }
            var status = await EndedStatusAsync(call).ConfigureAwait(false);
            _call = null;
            call.Dispose();
            if (!IsTransient(status))
            {
                GiveUp(Describe(status));
                break;
            }
            _diagnostics.Warn("log stream broke; re-opening it and sending the unsent lines again", Describe(status));
        }
        foreach (var line in LogFrame.Read(frames)) Fallback(line);
    }

    /// <summary>Starts a call and waits until it is on the wire; on failure retries on the Backoff schedule.</summary>
    private async Task<bool> ConnectAsync()
    {
        for (int attempt = 1; !_fallbackOnly; attempt++)
        {
            var call = LogStreamCall.Start(_connection.Http, _connection.Address);
            bool opened;
            try { opened = await call.WaitOpenedAsync().WaitAsync(_options.OpenTimeout, _shutdown.Token).ConfigureAwait(false); }
            catch (TimeoutException)
            {
                opened = false;
                call.Abort();
            }
            catch (OperationCanceledException) { call.Dispose(); break; }
            if (opened)
            {
                _call = call;
                return true;
            }
            var status = await EndedStatusAsync(call).ConfigureAwait(false);
            _lastFailure = status;
            call.Dispose();
            if (!IsTransient(status) || Backoff.Delay(attempt, _options.BackoffUnit) is not { } delay)
            {
                GiveUp(Describe(status));
                break;
            }
            try { await Task.Delay(delay, _shutdown.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        return false;
    }

    private static async Task<Status> EndedStatusAsync(LogStreamCall call)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { return await call.StatusAsync(wait.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return new Status(StatusCode.Unavailable, "the log stream broke"); }
    }

    private static bool IsTransient(Status status) =>
        status.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled
        && status.DebugException is not ChannelSecurityException;

    private static string Describe(Status status) => $"{status.StatusCode}: {status.Detail}";

    /// <summary>From now on every line goes to stdout; said once.</summary>
    private void GiveUp(string? cause)
    {
        if (_fallbackOnly) return;
        _fallbackOnly = true;
        _shutdown.Cancel();
        _call?.Abort();
        if (cause is not null)
            _diagnostics.Warn("log stream unavailable; task log lines go to the agent's stdout instead", cause);
    }

    private void Fallback(Leoflow.Agent.V1.LogLine line)
    {
        Interlocked.Increment(ref _fallbackLines);
        _fallback.Write(line);
    }
}
