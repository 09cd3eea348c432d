using System.Buffers;
using System.Net;
using LeoFlow.Agent.Rpc;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// One StreamLogs call over the channel's HTTP/2 connection. A generic gRPC client writes and
/// flushes one message at a time, while the wire lets one DATA frame carry many length-prefixed
/// LogLines: the log is the agent's hot path. The request body stays open until <see cref="FinishAsync"/>; the response is read
/// from the start and any LogAck discarded (the Go control plane sends none, only a status at the end).
/// </summary>
internal sealed class LogStreamCall : IDisposable
{
    private readonly TaskCompletionSource<Stream> _body = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _endOfBody = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private readonly Task<HttpResponseMessage> _response;
    private readonly Task<Status> _status;

    private LogStreamCall(HttpMessageInvoker http, Uri address)
    {
        var request = GrpcHttp.Request(address, "StreamLogs", new BodyContent(_body, _endOfBody.Task));
        _response = http.SendAsync(request, _abort.Token);
        _status = ReadStatusAsync();
    }

    /// <summary>Starts the call; its headers go out as soon as the connection allows.</summary>
    public static LogStreamCall Start(HttpMessageInvoker http, Uri address) => new(http, address);

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

    /// <summary>Sends whole frames and flushes them.</summary>
    public async Task WriteAsync(ReadOnlySequence<byte> frames, CancellationToken cancellationToken)
    {
        var body = await _body.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        foreach (var segment in frames) await body.WriteAsync(segment, linked.Token).ConfigureAwait(false);
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
    /// Reads the response from the start, discarding any LogAck: the old control plane sends none,
    /// but one that does must never find the agent's receive window full and stop reading logs.
    /// </summary>
    private async Task<Status> ReadStatusAsync()
    {
        try
        {
            using var response = await _response.ConfigureAwait(false);
            if (GrpcHttp.FromHeaders(response.Headers) is { } trailersOnly) return trailersOnly;
            if (response.StatusCode != HttpStatusCode.OK) return GrpcHttp.FromHttp(response.StatusCode);
            using (var content = await response.Content.ReadAsStreamAsync(_abort.Token).ConfigureAwait(false))
                await content.CopyToAsync(Stream.Null, _abort.Token).ConfigureAwait(false);
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
