using System.Net;
using Grpc.Core;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Reads each answer before Grpc.Net.Client (and the log stream) does, and turns what the library
/// would misname into the status the agent acts on:
/// <list type="bullet">
/// <item>an HTTP error without grpc-status (a proxy's answer): the HTTP table, and a proxy's
/// 429/502/503/504 marked as a transport failure, so it is retried like a refused connection
/// (the library gives the code but not the mark);</item>
/// <item>a 200 that is not gRPC: Internal naming the content type (the library says Cancelled,
/// which reads as if the agent gave up);</item>
/// <item>a stream reset (RST_STREAM, GOAWAY): read by its HTTP/2 code, a server going away with
/// NO_ERROR retried (the library says Internal, so a restarting control plane would fail a final
/// report);</item>
/// <item>a response that ends without a grpc-status: Internal (the library says Cancelled), and
/// a grpc-status that is not a number: Unknown.</item>
/// </list>
/// Everything else, the deadline and the agent's own cancellation included, is left to the library.
/// </summary>
internal sealed class GrpcResponseHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string method = request.RequestUri?.Segments[^1] ?? "the call";
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not RpcException && Failure(e) is { } status)
        {
            throw new RpcException(status);
        }
        if (GrpcHttp.FromHeaders(response.Headers) is not null) return response;   // trailers-only: the server's status
        Status? refused = response.StatusCode != HttpStatusCode.OK ? GrpcHttp.FromHttp(response.StatusCode)
            : !GrpcHttp.IsGrpcContent(response.Content.Headers.ContentType?.MediaType)
                ? new Status(StatusCode.Internal, $"the control plane answered {method} with content-type \"{response.Content.Headers.ContentType}\", not gRPC")
                : null;
        if (refused is { } answer)
        {
            response.Dispose();
            throw new RpcException(answer);
        }
        response.Content = new CheckedContent(response, method);
        return response;
    }

    /// <summary>A reset by its HTTP/2 code; any other transport failure is Unavailable.</summary>
    private static Status? Failure(Exception e) => GrpcHttp.FromReset(e) ?? GrpcHttp.FromTransport(e);

    /// <summary>The response body, read through <see cref="CheckedStream"/>; headers as the server sent them.</summary>
    private sealed class CheckedContent : HttpContent
    {
        private readonly HttpResponseMessage _response;
        private readonly HttpContent _inner;
        private readonly string _method;

        public CheckedContent(HttpResponseMessage response, string method)
        {
            _response = response;
            _inner = response.Content;
            _method = method;
            foreach (var header in _inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new CheckedStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), _response, _method);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            using var body = await CreateContentReadStreamAsync().ConfigureAwait(false);
            await body.CopyToAsync(stream).ConfigureAwait(false);
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

    /// <summary>
    /// Resets and broken connections under a read become the agent's statuses; at the end of the
    /// body, a missing or unreadable grpc-status is replaced before anyone reads the trailers.
    /// </summary>
    private sealed class CheckedStream(Stream inner, HttpResponseMessage response, string method) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException && Failure(e) is { } status)
            {
                throw new RpcException(status);
            }
            if (read == 0 && buffer.Length > 0) CheckStatus();
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        private void CheckStatus()
        {
            var trailers = response.TrailingHeaders;
            if (!trailers.TryGetValues(GrpcHttp.StatusHeader, out var codes))
            {
                if (GrpcHttp.FromHeaders(response.Headers) is not null) return;
                trailers.TryAddWithoutValidation(GrpcHttp.StatusHeader, ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture));
                trailers.Remove(GrpcHttp.MessageHeader);
                trailers.TryAddWithoutValidation(GrpcHttp.MessageHeader, Uri.EscapeDataString($"{method} ended without a grpc-status"));
            }
            else if (!int.TryParse(codes.FirstOrDefault(), out _))
            {
                trailers.Remove(GrpcHttp.StatusHeader);
                trailers.TryAddWithoutValidation(GrpcHttp.StatusHeader, ((int)StatusCode.Unknown).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
