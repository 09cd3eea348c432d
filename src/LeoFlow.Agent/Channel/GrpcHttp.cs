using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The parts of gRPC over HTTP/2 (PROTOCOL-HTTP2.md) the agent handles below Grpc.Net.Client:
/// the StreamLogs request it frames itself (POST to /package.Service/Method, content-type
/// application/grpc, "te: trailers"; messages framed as a compression flag and a 4-byte big-endian
/// length) and the reading of answers the client library would misname (HTTP errors from a
/// proxy, stream resets, a missing grpc-status), for <see cref="GrpcResponseHandler"/>.
/// </summary>
internal static class GrpcHttp
{
    public const string Service = "/leoflow.agent.v1.AgentService/";
    public const int FrameHeaderLength = 5;
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";

    /// <summary>gRPC's default limit on a received message, which the control plane keeps too.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>application/grpc, or a subtype such as application/grpc+proto (any case).</summary>
    public static bool IsGrpcContent(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (mediaType.Length == "application/grpc".Length || mediaType["application/grpc".Length] == '+');

    /// <summary>The request of a call the agent frames itself (StreamLogs): it has no deadline.</summary>
    public static HttpRequestMessage Request(Uri address, string method, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, Service + method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        // Responses uncompressed: the agent asks for no compression anywhere.
        request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "identity");
        return request;
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
        if (!headers.TryGetValues(StatusHeader, out var codes)) return null;
        int code = int.TryParse(codes.FirstOrDefault(), out int c) ? c : (int)StatusCode.Unknown;
        string detail = headers.TryGetValues(MessageHeader, out var messages) ? Uri.UnescapeDataString(messages.FirstOrDefault() ?? "") : "";
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
        // Also under GrpcResponseHandler's reading of it, which names the reset's code.
        _ when Reset(e) is { } reset => new Status(StatusCode.Unavailable, Describe(reset), e),
        RpcException rpc => rpc.Status,   // the channel's own reading of the failure (TLS, connect timeout)
        // In words, never the runtime's message (a resource key in the binary); the debug
        // exception carries the same words, so a description does not add the key back.
        HttpRequestException http => Transport(TransportWords.Describe(http), new HttpRequestException(http.HttpRequestError, TransportWords.Describe(http), http, http.StatusCode)),
        IOException => Transport(TransportWords.Describe(e), new IOException(TransportWords.Describe(e), e)),
        // The connection went away under the call (a write into a dead socket can surface as a bare ENOTCONN).
        System.Net.Sockets.SocketException => Transport(TransportWords.Describe(e), new IOException(TransportWords.Describe(e), e)),
        InvalidOperationException or ObjectDisposedException => Transport(TransportWords.Describe(e), new IOException(TransportWords.Describe(e), e)),
        _ => null,
    };

    private static Status Transport(string detail, Exception debug) => new(StatusCode.Unavailable, detail, debug);

    /// <summary>The code's name as gRPC spells it ("Unavailable"), without reflection over the enum.</summary>
    public static string Name(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "Cancelled",
        StatusCode.Unknown => "Unknown",
        StatusCode.InvalidArgument => "InvalidArgument",
        StatusCode.DeadlineExceeded => "DeadlineExceeded",
        StatusCode.NotFound => "NotFound",
        StatusCode.AlreadyExists => "AlreadyExists",
        StatusCode.PermissionDenied => "PermissionDenied",
        StatusCode.ResourceExhausted => "ResourceExhausted",
        StatusCode.FailedPrecondition => "FailedPrecondition",
        StatusCode.Aborted => "Aborted",
        StatusCode.OutOfRange => "OutOfRange",
        StatusCode.Unimplemented => "Unimplemented",
        StatusCode.Internal => "Internal",
        StatusCode.Unavailable => "Unavailable",
        StatusCode.DataLoss => "DataLoss",
        StatusCode.Unauthenticated => "Unauthenticated",
        _ => "Status" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>"Unavailable: connection refused".</summary>
    public static string Describe(Status status) => $"{Name(status.StatusCode)}: {status.Detail}";

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
