using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Tracing;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// One StreamLogs call over the channel's HTTP/2 connection, framed by the agent: Grpc.Net.Client
/// writes and flushes one message per WriteAsync, while the wire lets one DATA frame carry many
/// length-prefixed LogLines, and the log is the agent's hot path (README, "Dependencies", has the
/// measured difference). The request goes through the same handlers as the generated client's
/// (bearer token, <see cref="GrpcResponseHandler"/>), so its status reads the same. The request
/// body stays open until <see cref="FinishAsync"/>; the response is read from the start, each
/// LogAck parsed and let go (the Go control plane sends none, only a status at the end).
/// </summary>
internal sealed class LogStreamCall : IDisposable
{
    private readonly TaskCompletionSource<Stream> _body = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _endOfBody = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _ended = new();
    private readonly Task<HttpResponseMessage> _response;
    private readonly Task<Status> _status;

    private LogStreamCall(HttpMessageInvoker http, Uri address, TraceSpan? span)
    {
        var request = GrpcHttp.Request(address, "StreamLogs", new BodyContent(_body, _endOfBody.Task));
        if (span is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", span.TraceParent);
            if (span.Trace.TraceState is { } state) request.Headers.TryAddWithoutValidation("tracestate", state);
        }
        _response = http.SendAsync(request, _abort.Token);
        _status = ReadStatusAsync();
        _status.ContinueWith(static (_, ended) => ((CancellationTokenSource)ended!).Cancel(), _ended,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Cancelled once the call has ended, which the server never does while the log is open (a
    /// reset, a restart, the connection gone): the sink re-opens at once, not at the next line.
    /// Like the abort source it is left to the collector, as the sink may drop the call meanwhile.
    /// </summary>
    public CancellationToken EndedToken => _ended.Token;

    /// <summary>Starts the call, naming <paramref name="span"/> in its traceparent; its headers go out as soon as the connection allows.</summary>
    public static LogStreamCall Start(HttpMessageInvoker http, Uri address, TraceSpan? span = null) => new(http, address, span);

    /// <summary>
    /// Completes with true once the request is on the wire (the body is being sent), false when
    /// the call ended first (refused, connection failed).
    /// </summary>
    public async Task<bool> WaitOpenedAsync()
    {
        var first = await Task.WhenAny(_body.Task, _status).ConfigureAwait(false);
        return first == _body.Task;
    }

    /// <summary>
    /// True when the server already ended the call (it never does so while the log is open).
    /// Response headers alone do not end it: a control plane may send them, and LogAcks, early.
    /// </summary>
    public bool Ended => _status.IsCompleted;

    /// <summary>
    /// Sends whole frames and flushes them; <paramref name="progress"/> hears of each block that
    /// left (HTTP/2 flow control lets a block go only as the control plane reads).
    /// </summary>
    public async Task WriteAsync(ReadOnlySequence<byte> frames, Action<long> progress, CancellationToken cancellationToken)
    {
        var body = await _body.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        foreach (var segment in frames)
        {
            await body.WriteAsync(segment, linked.Token).ConfigureAwait(false);
            progress(segment.Length);
        }
        await body.FlushAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>Half-closes and waits for the call's status.</summary>
    public async Task<Status> FinishAsync(CancellationToken cancellationToken)
    {
        _endOfBody.TrySetResult();
        return await StatusAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status the call ended with (waits for the end).</summary>
    public Task<Status> StatusAsync(CancellationToken cancellationToken) => _status.WaitAsync(cancellationToken);

    /// <summary>
    /// Reads the response from the start: the old control plane sends no LogAck, but one that does
    /// must never find the agent's receive window full and stop reading logs. A non-200 answer or a
    /// reset arrives here as the <see cref="RpcException"/> of <see cref="GrpcResponseHandler"/>.
    /// </summary>
    private async Task<Status> ReadStatusAsync()
    {
        try
        {
            using var response = await _response.ConfigureAwait(false);
            if (GrpcHttp.FromHeaders(response.Headers) is { } trailersOnly) return trailersOnly;
            using (var content = await response.Content.ReadAsStreamAsync(_abort.Token).ConfigureAwait(false))
                if (await ReadAcksAsync(content).ConfigureAwait(false) is { } malformed) return malformed;
            // GrpcResponseHandler puts an Internal status into trailers that lack one.
            return GrpcHttp.FromHeaders(response.TrailingHeaders) ?? new Status(StatusCode.Internal, "StreamLogs ended without a grpc-status");
        }
        catch (OperationCanceledException e)
        {
            return new Status(StatusCode.Cancelled, "the log stream was closed by the agent", e);
        }
        catch (Exception e) when (GrpcHttp.FromTransport(e) is { } status)
        {
            return status;
        }
    }

    /// <summary>Parses each LogAck until the response ends; a frame that is not one ends the call as Internal.</summary>
    private async Task<Status?> ReadAcksAsync(Stream content)
    {
        var header = new byte[GrpcHttp.FrameHeaderLength];
        while (await content.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, _abort.Token).ConfigureAwait(false) == header.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
            if (header[0] != 0 || length > GrpcHttp.MaxMessageBytes)
                return new Status(StatusCode.Internal, header[0] != 0 ? "the control plane sent a compressed LogAck, which the agent did not ask for" : $"the control plane sent a LogAck of {length} bytes");
            var message = new byte[length];
            await content.ReadExactlyAsync(message, _abort.Token).ConfigureAwait(false);
            try { LogAck.Parser.ParseFrom(message); }
            catch (InvalidProtocolBufferException e) { return new Status(StatusCode.Internal, "the control plane sent a LogAck that is not a valid message", e); }
        }
        return null;
    }

    /// <summary>Cancels the call (RST_STREAM); pending writes fail at once.</summary>
    public void Abort()
    {
        _abort.Cancel();
        _endOfBody.TrySetResult();
    }

    /// <summary>
    /// Aborts. The token source is left to the collector: the sink may abort a call from another
    /// thread just as its pump drops it, and a second abort must stay harmless.
    /// </summary>
    public void Dispose() => Abort();

    /// <summary>The request body: handed to the writer when the transport starts sending it, ended on half-close.</summary>
    private sealed class BodyContent : HttpContent
    {
        private readonly TaskCompletionSource<Stream> _body;
        private readonly Task _end;

        public BodyContent(TaskCompletionSource<Stream> body, Task end)
        {
            _body = body;
            _end = end;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // The HTTP/2 handler holds a request's HEADERS back until its body writes, to send
            // both at once; this body may stay silent for long (a quiet task), and the call would
            // not reach the control plane until some other frame went out: send them now.
            await stream.FlushAsync().ConfigureAwait(false);
            _body.TrySetResult(stream);
            await _end.ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
