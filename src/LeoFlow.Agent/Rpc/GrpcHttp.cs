using System.Net;
using System.Net.Http.Headers;

namespace LeoFlow.Agent.Rpc;

/// <summary>
/// gRPC over HTTP/2 as the agent speaks it (PROTOCOL-HTTP2.md): POST to /package.Service/Method
/// with content-type application/grpc and "te: trailers"; messages framed as a compression flag
/// and a 4-byte big-endian length; the status in grpc-status / grpc-message, in the trailers or,
/// for a call that fails at once, in the headers.
/// </summary>
internal static class GrpcHttp
{
    public const string Service = "/leoflow.agent.v1.AgentService/";
    public const int FrameHeaderLength = 5;

    public static HttpRequestMessage Request(Uri address, string method, HttpContent content, TimeSpan? timeout = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, Service + method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        // Responses uncompressed: the agent carries no decompressor.
        request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "identity");
        if (timeout is { } t && t > TimeSpan.Zero) request.Headers.TryAddWithoutValidation("grpc-timeout", Timeout(t));
        return request;
    }

    /// <summary>The deadline as the server should see it: at most 8 digits and a unit.</summary>
    private static string Timeout(TimeSpan timeout)
    {
        long ms = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
        return ms < 100_000_000 ? $"{ms}m" : $"{Math.Min(ms / 1000, 99_999_999)}S";
    }

    /// <summary>
    /// gRPC's reading of an HTTP status other than 200 when the response has no grpc-status
    /// (doc/http-grpc-status-mapping.md): a proxy's answer, or a server that is not gRPC.
    /// </summary>
    public static Status FromHttp(HttpStatusCode code)
    {
        var status = (int)code switch
        {
            400 => StatusCode.Internal,
            401 => StatusCode.Unauthenticated,
            403 => StatusCode.PermissionDenied,
            404 => StatusCode.Unimplemented,
            429 or 502 or 503 or 504 => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        return new Status(status, $"HTTP {(int)code} from the control plane");
    }

    /// <summary>The grpc-status in these headers (null when there is none).</summary>
    public static Status? FromHeaders(HttpHeaders headers)
    {
        if (!headers.TryGetValues("grpc-status", out var codes)) return null;
        int code = int.TryParse(codes.FirstOrDefault(), out int c) ? c : (int)StatusCode.Unknown;
        string detail = headers.TryGetValues("grpc-message", out var messages) ? Uri.UnescapeDataString(messages.FirstOrDefault() ?? "") : "";
        return new Status((StatusCode)code, detail);
    }

    /// <summary>
    /// A stream the server reset (RST_STREAM), read as PROTOCOL-HTTP2.md says: only a refused
    /// stream (never processed) is Unavailable, hence retried; a reset with INTERNAL_ERROR is the
    /// server's answer. Null when no reset code is known (the connection simply went away).
    /// </summary>
    public static Status? FromReset(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is not HttpProtocolException reset) continue;
            var code = reset.ErrorCode switch
            {
                0x7 => StatusCode.Unavailable,          // REFUSED_STREAM
                0x8 => StatusCode.Cancelled,            // CANCEL
                0xB => StatusCode.ResourceExhausted,    // ENHANCE_YOUR_CALM
                0xC => StatusCode.PermissionDenied,     // INADEQUATE_SECURITY
                _ => StatusCode.Internal,
            };
            return new Status(code, $"the control plane reset the call (HTTP/2 error 0x{reset.ErrorCode:x})", e);
        }
        return null;
    }

    /// <summary>
    /// A call that failed in the agent's hands: the transport (connection refused, reset, closed)
    /// is Unavailable, as in every gRPC client. Null for anything else.
    /// </summary>
    public static Status? FromTransport(Exception e) => e switch
    {
        RpcException rpc => rpc.Status,   // the channel's own reading of the failure (TLS, connect timeout)
        HttpRequestException or IOException => new Status(StatusCode.Unavailable, e.Message, e),
        // The connection went away under the call.
        InvalidOperationException or ObjectDisposedException => new Status(StatusCode.Unavailable, e.Message, e),
        _ => null,
    };
}
