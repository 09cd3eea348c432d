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
        string detail = $"HTTP {(int)code} from the control plane";
        // A proxy's 429/502/503/504 says the control plane was not reached: like a failed
        // connection (the exception marks it so), retried even where the control plane's own
        // Unavailable is an answer (RetryPolicy.TransportOnly).
        return status == StatusCode.Unavailable
            ? new Status(status, detail, new HttpRequestException(HttpRequestError.Unknown, detail, null, code))
            : new Status(status, detail);
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
    /// A call the server ended with an HTTP/2 error code (RST_STREAM, or GOAWAY for its
    /// connection), read as PROTOCOL-HTTP2.md says, except NO_ERROR: the spec reads it as Internal
    /// but notes that servers use it to go away ("lameduck"), which is what a control plane being
    /// restarted does, so the agent retries it, as it does a refused stream (never processed).
    /// INTERNAL_ERROR and the like are the server's answer. Null when there is no such code.
    /// </summary>
    public static Status? FromReset(Exception e)
    {
        if (Reset(e) is not { } reset) return null;
        var code = reset.ErrorCode switch
        {
            0x0 or 0x7 => StatusCode.Unavailable,   // NO_ERROR, REFUSED_STREAM
            0x8 => StatusCode.Cancelled,            // CANCEL
            0xB => StatusCode.ResourceExhausted,    // ENHANCE_YOUR_CALM
            0xC => StatusCode.PermissionDenied,     // INADEQUATE_SECURITY
            _ => StatusCode.Internal,
        };
        return new Status(code, Describe(reset), e);
    }

    /// <summary>
    /// A call that failed in the agent's hands: the transport (connection refused, reset, closed)
    /// is Unavailable, as in every gRPC client. Null for anything else.
    /// </summary>
    public static Status? FromTransport(Exception e) => e switch
    {
        RpcException rpc => rpc.Status,   // the channel's own reading of the failure (TLS, connect timeout)
        _ when Reset(e) is { } reset => new Status(StatusCode.Unavailable, Describe(reset), e),
        HttpRequestException or IOException => new Status(StatusCode.Unavailable, e.Message, e),
        // The connection went away under the call.
        InvalidOperationException or ObjectDisposedException => new Status(StatusCode.Unavailable, e.Message, e),
        _ => null,
    };

    private static HttpProtocolException? Reset(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is HttpProtocolException reset) return reset;
        return null;
    }

    /// <summary>The runtime's own message is a bare resource key in this build: name the code instead.</summary>
    private static string Describe(HttpProtocolException reset) =>
        $"the control plane ended the call with HTTP/2 error {(reset.ErrorCode switch
        {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xA => "CONNECT_ERROR",
            0xB => "ENHANCE_YOUR_CALM",
            0xC => "INADEQUATE_SECURITY",
            0xD => "HTTP_1_1_REQUIRED",
            _ => "0x" + reset.ErrorCode.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
        })}"
        + (reset.ErrorCode == 0 ? " (it is going away)" : "");
}
