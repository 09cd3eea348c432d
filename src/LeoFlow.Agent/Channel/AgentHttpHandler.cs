using System.Net;
using System.Net.Http.Headers;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The channel's HTTP layer: puts <c>authorization: Bearer &lt;token&gt;</c> on every HTTP/2
/// request, so unary calls and the log stream alike carry it in plaintext as in TLS (grpc-dotnet's
/// call credentials refuse plaintext channels; the control plane needs the header on both), and
/// tells the log sink when its StreamLogs request is on the wire, so that the stream is the first
/// call the control plane sees, as the contract orders.
/// </summary>
internal sealed class AgentHttpHandler(TokenSource token, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private TaskCompletionSource? _logStreamSent;

    /// <summary>Completes once the next StreamLogs request's headers were sent, or it failed.</summary>
    public Task ExpectLogStream()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _logStreamSent, tcs);
        return tcs.Task;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());
        TaskCompletionSource? sent = null;
        if (request.RequestUri?.AbsolutePath.EndsWith("/StreamLogs", StringComparison.Ordinal) == true && request.Content is { } content)
        {
            sent = Interlocked.Exchange(ref _logStreamSent, null);
            if (sent is not null) request.Content = new SignalingContent(content, sent);
        }
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sent?.TrySetResult();   // answered or failed without a body: the sink learns which from the call
        }
    }

    /// <summary>Request content that signals when the transport starts sending it (headers are out by then).</summary>
    private sealed class SignalingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly TaskCompletionSource _started;

        public SignalingContent(HttpContent inner, TaskCompletionSource started)
        {
            _inner = inner;
            _started = started;
            foreach (var header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            return _inner.CopyToAsync(stream, context, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
