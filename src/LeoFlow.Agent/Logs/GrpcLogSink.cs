using System.Buffers;
using System.IO.Pipelines;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tracing;
using Leoflow.Agent.V1;
using Grpc.Core;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The task log over StreamLogs. Lines are encoded once into a pipe of pooled memory bounded by
/// <see cref="PendingBytes"/> unsent; when it is full, writers wait, so back-pressure reaches the task's
/// pipes and nothing is dropped. One pump sends whatever is buffered as one write (many frames
/// per DATA frame) and keeps the last <see cref="LogSinkOptions.ReplayBytes"/> it sent. A broken
/// stream is re-opened on the jittered <see cref="Backoff"/> schedule as soon as it breaks (also
/// while the task is silent, and when found broken only at the final half-close), and the kept
/// lines go again with the unsent ones, after one framing line saying which lines the control
/// plane may now show twice. A stream the control plane refuses, one that never comes back, or
/// one that stalls for <see cref="LogSinkOptions.StallTimeout"/> hands the kept and every later
/// line to the agent's stdout instead, with one warning — lines are never silently discarded
/// (docs/protocol.md, "The log stream"). At the end the sink waits as long as the control plane
/// keeps taking the log (<see cref="CloseAsync"/>).
/// </summary>
public sealed class GrpcLogSink : ILogSink
{
    /// <summary>
    /// Encoded bytes not yet sent that the buffer holds before the task's writes wait (back-pressure
    /// above); the replay window is held on top of it.
    /// </summary>
    public const long PendingBytes = 1024 * 1024;

    /// <summary>The buffer's blocks: a few hundred lines each, so a full buffer is a few dozen segments.</summary>
    private const int BlockBytes = 16 * 1024;

    private readonly AgentConnection _connection;
    private readonly IDiagnostics _diagnostics;
    private readonly FallbackLogWriter _fallback;
    private readonly LogSinkOptions _options;
    private readonly TraceSpan? _span;
    private readonly Pipe _pipe;
    private readonly Lock _writeLock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private LogStreamCall? _call;
    private Task _pump = Task.CompletedTask;
    private bool _closed;
    private volatile bool _fallbackOnly;
    private long _fallbackLines;
    private long _fallbackSentBefore;
    private long _progress;
    private readonly Action<long> _countProgress;
    private Status? _lastFailure;
    private long _openedAt;
    private int _recentBreaks;

    /// <summary>A stream that lived this long before it broke was healthy: its break restarts the re-open schedule.</summary>
    private static readonly TimeSpan HealthyStream = TimeSpan.FromSeconds(30);

    /// <param name="span">The span every StreamLogs call names in its traceparent (the task's root); null: none.</param>
    public GrpcLogSink(AgentConnection connection, IDiagnostics diagnostics, FallbackLogWriter fallback, LogSinkOptions? options = null, TraceSpan? span = null)
    {
        _span = span;
        _connection = connection;
        _diagnostics = diagnostics;
        _fallback = fallback;
        _options = options ?? new LogSinkOptions();
        _countProgress = bytes => Interlocked.Add(ref _progress, bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.ReplayBytes, "options.ReplayBytes");
        _pipe = CreateBuffer();
    }

    /// <summary>
    /// The log buffer: writers wait with <see cref="PendingBytes"/> unsent and go on when half of
    /// that is sent. A pipe counts toward its thresholds only the bytes its reader has not
    /// examined: the kept replay window is examined (not consumed), so it is held on top of them,
    /// never inside (counting it in as well had let 2 MiB wait unsent behind 1 MiB kept).
    /// </summary>
    internal static Pipe CreateBuffer() => new(new PipeOptions(
        pool: new LogBufferPool(BlockBytes),
        pauseWriterThreshold: PendingBytes,
        resumeWriterThreshold: PendingBytes / 2,
        minimumSegmentSize: BlockBytes,
        useSynchronizationContext: false));

    /// <summary>
    /// Opens the stream, waiting on the Backoff schedule for a control plane that is not up yet.
    /// Returns why the control plane cannot be reached, or null (also when it refused the stream:
    /// then the log goes to stdout and the task still runs).
    /// </summary>
    public async Task<string?> OpenAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool opened = await ConnectAsync(opening: true).ConfigureAwait(false);
        _pump = Task.Run(PumpAsync);
        if (opened || _lastFailure is not { } failure) return null;
        if (failure.DebugException is ChannelSecurityException) return failure.Detail;   // the channel cannot be trusted: no RPC either
        return IsTransient(failure)
            ? $"control plane at {_connection.Address.Authority} unreachable after {clock.Elapsed.TotalSeconds:0} s: {Describe(failure)}"
            : null;   // reachable, but it refused the log stream: the log goes to stdout, the task runs
    }

    public void Write(in LogEntry entry)
    {
        var message = LogFrame.Utf8Message(entry.Message);
        var valid = new LogEntry(entry.Time, entry.Level, entry.Stream, entry.Number, message);
        lock (_writeLock)
        {
            if (_closed)
            {
                Interlocked.Increment(ref _fallbackLines);
                _fallback.Write(valid);
                return;
            }
            LogFrame.Write(valid, _pipe.Writer);
        }
    }

    public void Flush()
    {
        // Under the lock: the pipe allows one flush at a time, and a writer that finds the
        // buffer full must wait as well, so both pipes' threads stop while the pump catches up.
        lock (_writeLock)
        {
            if (_closed) return;
            var flush = _pipe.Writer.FlushAsync();
            if (!flush.IsCompleted) flush.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Ends the log: delivers what is buffered, half-closes and waits for the call's end for as
    /// long as the control plane keeps taking bytes, up to <paramref name="cap"/> in all. It gives
    /// up on a stall, <see cref="LogSinkOptions.DrainStallTimeout"/> without progress (a write
    /// completing, or the call ending), and then hands what the control plane may not have received
    /// to stdout, saying how many of those lines it may have received all the same.
    /// </summary>
    public async Task CloseAsync(TimeSpan cap)
    {
        lock (_writeLock)
        {
            _closed = true;
            _pipe.Writer.Complete();
        }
        try
        {
            if (await DrainedAsync(cap).ConfigureAwait(false) is { } stalled)
            {
                _diagnostics.Warn($"log stream did not drain: {stalled}; the lines it may not have received go to stdout");
                GiveUp(null);
            }
            await _pump.ConfigureAwait(false);   // after GiveUp it only writes what is left to stdout
        }
        finally
        {
            _call?.Dispose();
        }
        if (_fallbackLines > 0)
            _diagnostics.Warn(_fallbackSentBefore == 0
                ? $"{_fallbackLines} task log lines were written to the agent's stdout instead of the control plane"
                : $"{_fallbackLines} task log lines were written to the agent's stdout; {_fallbackSentBefore} of them had been sent on the log stream and may have reached the control plane as well");
    }

    /// <summary>Null once the pump is done; else why it was given up (a stall, or the cap).</summary>
    private async Task<string?> DrainedAsync(TimeSpan cap)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long seen = Volatile.Read(ref _progress);
        while (true)
        {
            var left = cap - clock.Elapsed;
            if (left <= TimeSpan.Zero) return $"the control plane was still taking it after {cap.TotalSeconds:0.#} s";
            try
            {
                await _pump.WaitAsync(left < _options.DrainStallTimeout ? left : _options.DrainStallTimeout).ConfigureAwait(false);
                return null;
            }
            catch (TimeoutException) { /* not done yet: was there progress? */ }
            long now = Volatile.Read(ref _progress);
            if (now == seen && clock.Elapsed < cap) return $"the control plane took nothing for {_options.DrainStallTimeout.TotalSeconds:0.#} s";
            seen = now;
        }
    }

    /// <summary>
    /// Sends each batch, then leaves the last <see cref="LogSinkOptions.ReplayBytes"/> sent
    /// unconsumed in the pipe, so the next read starts with them: <c>sent</c> of the buffer's
    /// bytes went out on the current call already and only the rest is new to it.
    /// </summary>
    private async Task PumpAsync()
    {
        var reader = _pipe.Reader;
        long sent = 0, resend = 0;
        try
        {
            while (true)
            {
                if (await ReadAsync(reader).ConfigureAwait(false) is not { } result)
                {
                    // Re-open the broken stream now; the kept lines, still in the pipe, go on it with the next batch.
                    await DeliverAsync(ReadOnlySequence<byte>.Empty, 0).ConfigureAwait(false);
                    resend = Math.Max(resend, sent);
                    sent = 0;
                    continue;
                }
                var buffer = result.Buffer;
                if (resend > 0 && _call is { } reopened)
                {
                    await ExplainResendAsync(reopened, buffer.Slice(0, Math.Min(resend, buffer.Length))).ConfigureAwait(false);
                    resend = 0;
                }
                bool delivered = await DeliverAsync(buffer, sent).ConfigureAwait(false)
                    && (!result.IsCompleted || await FinishAsync(buffer).ConfigureAwait(false));
                if (!delivered) FallbackAll(buffer, Math.Max(Math.Max(sent, _written), resend));
                if (result.IsCompleted) break;
                var keep = delivered ? ReplayStart(buffer) : buffer.End;
                reader.AdvanceTo(keep, buffer.End);
                sent = buffer.Slice(keep).Length;
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A defect here must not leave the task's pipes blocked on a buffer nobody empties:
            // complete the reader so writers go on (what they write is lost, and said so).
            _diagnostics.Error("the log pipeline failed; later task log lines are lost", $"{e.GetType().Name}: {e.Message}");
            GiveUp(null);
            await reader.CompleteAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next batch of new lines, or null when the current call ended first while the task was
    /// silent (the control plane went away): then the stream is re-opened now, not at the task's
    /// next line.
    /// </summary>
    private async ValueTask<ReadResult?> ReadAsync(PipeReader reader)
    {
        if (_fallbackOnly || _call is not { } call) return await reader.ReadAsync().ConfigureAwait(false);
        try { return await reader.ReadAsync(call.EndedToken).ConfigureAwait(false); }
        catch (OperationCanceledException) when (call.EndedToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Bytes of the current batch that may have gone out on some call (the resend's framing line, the stdout hand-off).</summary>
    private long _written;

    /// <summary>
    /// Sends the part of <paramref name="buffer"/> after <paramref name="sent"/> on the current
    /// call, or all of it on a re-opened one, as often as the Backoff schedule allows. False: give
    /// the buffer to stdout.
    /// </summary>
    private async Task<bool> DeliverAsync(ReadOnlySequence<byte> buffer, long sent)
    {
        _written = sent;
        while (!_fallbackOnly)
        {
            if (_call is null)
            {
                if (!await ConnectAsync(opening: false).ConfigureAwait(false)) break;
                await ExplainResendAsync(_call!, buffer.Slice(0, _written)).ConfigureAwait(false);   // a failure shows in the next write
                sent = 0;   // the new call has had nothing: the kept lines go again
            }
            var call = _call!;
            bool wrote = await TryWriteAsync(call, buffer.Slice(sent)).ConfigureAwait(false);
            _written = buffer.Length;   // also when the write failed: part of it may have gone out
            if (wrote) return true;

            if (_fallbackOnly) break;
            if (await DropBrokenCallAsync(call, "log stream broke; re-opening it and sending the unsent lines again").ConfigureAwait(false))
                await PauseAfterBreakAsync().ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>
    /// A stream that keeps breaking soon after it opened (a proxy that accepts and then resets it,
    /// a server that fails every stream) is re-opened on the Backoff schedule, and given up on
    /// when that is exhausted: writes into such a stream seem to succeed, so looping on it would
    /// lose lines. One that lived for a while before it broke starts the schedule afresh.
    /// </summary>
    private async Task PauseAfterBreakAsync()
    {
        if (System.Diagnostics.Stopwatch.GetElapsedTime(_openedAt) > HealthyStream) _recentBreaks = 0;
        if (Backoff.Jittered(++_recentBreaks, _options.BackoffUnit) is not { } delay)
        {
            GiveUp($"the log stream broke {_recentBreaks - 1} times in a row");
            return;
        }
        try { await Task.Delay(delay, _shutdown.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { /* giving up or closing: the caller sees _fallbackOnly */ }
    }

    /// <summary>
    /// Half-closes and checks the call ended well. A stream found broken only now may have lost
    /// the last lines: re-open it and send <paramref name="kept"/> (the kept and the last lines) again.
    /// </summary>
    private async Task<bool> FinishAsync(ReadOnlySequence<byte> kept)
    {
        for (int attempt = 0; !_fallbackOnly && _call is { } call; attempt++)
        {
            Status status;
            try { status = await call.FinishAsync(_shutdown.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }   // did not drain in time: stdout
            if (status.StatusCode == StatusCode.OK) return true;
            if (attempt == Backoff.MaxAttempts) break;
            if (!await DropBrokenCallAsync(call, "log stream ended with an error; sending its last lines again", status).ConfigureAwait(false)
                || !await DeliverAsync(kept, 0).ConfigureAwait(false))
                break;
        }
        GiveUp(null);
        return false;
    }

    /// <summary>Writes frames; false when the call is over or the write failed (a stall gives up for good).</summary>
    private async Task<bool> TryWriteAsync(LogStreamCall call, ReadOnlySequence<byte> frames)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        stall.CancelAfter(_options.StallTimeout);
        try
        {
            if (call.Ended) return false;
            if (!frames.IsEmpty) await call.WriteAsync(frames, _countProgress, stall.Token).ConfigureAwait(false);
            return true;
        }
        // A connection gone mid-write can also surface as a bare SocketException (ENOTCONN).
        catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            if (stall.IsCancellationRequested && !_shutdown.IsCancellationRequested)
                GiveUp($"the control plane stopped reading for {_options.StallTimeout.TotalSeconds:0} s");
            return false;
        }
    }

    /// <summary>Forgets a call that ended; true when its status says re-opening is worth it (then warns why).</summary>
    private async Task<bool> DropBrokenCallAsync(LogStreamCall call, string warning, Status? ended = null)
    {
        var status = ended ?? await EndedStatusAsync(call).ConfigureAwait(false);
        _call = null;
        call.Dispose();
        if (!IsTransient(status))
        {
            GiveUp(Describe(status));
            return false;
        }
        _diagnostics.Warn(warning, Describe(status));
        return true;
    }

    /// <summary>Starts a call and waits until it is on the wire; on failure retries on the Backoff schedule.</summary>
    private async Task<bool> ConnectAsync(bool opening)
    {
        for (int attempt = 1; !_fallbackOnly; attempt++)
        {
            var call = LogStreamCall.Start(_connection.Http, _connection.Address, _span);
            Status status;
            try
            {
                if (await call.WaitOpenedAsync().WaitAsync(_options.OpenTimeout, _shutdown.Token).ConfigureAwait(false))
                {
                    _call = call;
                    _openedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    return true;
                }
                status = await EndedStatusAsync(call).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                status = new Status(StatusCode.Unavailable, $"no answer within {_options.OpenTimeout.TotalSeconds:0} s");
            }
            catch (OperationCanceledException) { call.Dispose(); break; }
            _lastFailure = status;
            call.Dispose();
            if (!IsTransient(status)) { GiveUp(Describe(status)); break; }
            if (Backoff.Jittered(attempt, _options.BackoffUnit) is not { } delay)
            {
                // Unreachable from the start fails the run, and OpenAsync says why; later on, the log goes to stdout.
                GiveUp(opening ? null : Describe(status));
                break;
            }
            _diagnostics.Warn($"log stream could not be opened; retrying in {delay.TotalSeconds:0.###} s (retry {attempt} of {Backoff.MaxAttempts})", Describe(status));
            try { await Task.Delay(delay, _shutdown.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        return false;
    }

    /// <summary>
    /// Where the kept part of sent frames starts: the first frame boundary with at most
    /// <see cref="LogSinkOptions.ReplayBytes"/> after it. Each frame is stepped over once, when it leaves.
    /// </summary>
    private SequencePosition ReplayStart(ReadOnlySequence<byte> sent)
    {
        long excess = sent.Length - _options.ReplayBytes;
        var reader = new SequenceReader<byte>(sent);
        while (reader.Consumed < excess)
        {
            reader.Advance(1);   // the compressed flag
            reader.TryReadBigEndian(out int length);
            reader.Advance(length);
        }
        return reader.Position;
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

    private static string Describe(Status status) => GrpcHttp.Describe(status);

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

    /// <summary>
    /// Every line of the buffer to stdout: also the first <paramref name="sentBefore"/> bytes'
    /// worth, which went out on a log stream but may not have been read.
    /// </summary>
    private void FallbackAll(ReadOnlySequence<byte> frames, long sentBefore)
    {
        _fallbackSentBefore += LogFrame.Read(frames.Slice(0, Math.Min(sentBefore, frames.Length))).Count;
        foreach (var line in LogFrame.Read(frames)) Fallback(line);
    }

    /// <summary>
    /// Before lines already sent go again on a re-opened call, one framing line says which: the
    /// control plane appends what it receives, so a reader would otherwise see them twice with no
    /// explanation.
    /// </summary>
    private async Task ExplainResendAsync(LogStreamCall call, ReadOnlySequence<byte> resent)
    {
        if (resent.IsEmpty) return;
        var lines = LogFrame.Read(resent);
        string ranges = string.Join(", ", lines.Where(l => l.LineNumber > 0).GroupBy(l => l.Stream)
            .Select(g => $"{g.Key} {g.Min(l => l.LineNumber)}–{g.Max(l => l.LineNumber)}"));
        string text = $"↻ log stream re-opened: the last {lines.Count} lines sent before it broke are sent again"
            + (ranges.Length > 0 ? $" ({ranges})" : "") + " and may appear twice";
        var entry = new LogEntry(DateTime.UtcNow, LogLevel.Info, "agent", 0, System.Text.Encoding.UTF8.GetBytes(text));
        var frame = new ArrayBufferWriter<byte>();
        LogFrame.Write(entry, frame);
        await TryWriteAsync(call, new ReadOnlySequence<byte>(frame.WrittenMemory)).ConfigureAwait(false);
    }


    private void Fallback(LogLine line)
    {
        Interlocked.Increment(ref _fallbackLines);
        _fallback.Write(line);
    }
}
