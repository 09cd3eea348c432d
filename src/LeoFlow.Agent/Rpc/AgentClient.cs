using System.Buffers.Binary;
using System.Net;

namespace LeoFlow.Agent.Rpc;

/// <summary>
/// The unary RPCs of leoflow.agent.v1.AgentService, spoken over the channel's HTTP/2 connection:
/// one framed request message, one framed response message, then the status. Failures throw
/// <see cref="RpcException"/> with the status a gRPC client would report: the server's own,
/// Unavailable for the transport, DeadlineExceeded (without detail) when the deadline passed,
/// Cancelled when the caller gave up.
/// </summary>
public sealed class AgentClient(HttpMessageInvoker http, Uri address)
{
    /// <summary>gRPC's default limit on a received message, which the control plane keeps too.</summary>
    public const int MaxResponseBytes = 4 * 1024 * 1024;

    public Task<RegisterResponse> RegisterAsync(RegisterRequest request, CallOptions options) =>
        CallAsync("Register", request, RegisterResponse.Decode, options);

    public Task<TaskSpec> GetTaskSpecAsync(CallOptions options) =>
        CallAsync("GetTaskSpec", EmptyRequest.Instance, TaskSpec.Decode, options);

    public Task<FetchXComResponse> FetchXComAsync(FetchXComRequest request, CallOptions options) =>
        CallAsync("FetchXCom", request, FetchXComResponse.Decode, options);

    public Task<PushXComResponse> PushXComAsync(PushXComRequest request, CallOptions options) =>
        CallAsync("PushXCom", request, PushXComResponse.Decode, options);

    public Task<ReportStateResponse> ReportStateAsync(ReportStateRequest request, CallOptions options) =>
        CallAsync("ReportState", request, ReportStateResponse.Decode, options);

    public Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, CallOptions options) =>
        CallAsync("Heartbeat", request, HeartbeatResponse.Decode, options);

    public Task<SecretsResponse> GetVariablesAsync(CallOptions options) =>
        CallAsync("GetVariables", EmptyRequest.Instance, SecretsResponse.Decode, options);

    public Task<SecretsResponse> GetConnectionsAsync(CallOptions options) =>
        CallAsync("GetConnections", EmptyRequest.Instance, SecretsResponse.Decode, options);

    private delegate T Decoder<T>(ReadOnlySpan<byte> message);

    /// <summary>Sends the request and decodes the response message, or throws the call's status.</summary>
    private async Task<T> CallAsync<T>(string method, IRequest message, Decoder<T> decode, CallOptions options)
    {
        var writer = new ProtoWriter();
        message.WriteTo(writer);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        deadline.CancelAfter(options.Timeout);
        using var request = GrpcHttp.Request(address, method, new ByteArrayContent(Frame(writer.Written)), options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (GrpcHttp.FromHeaders(response.Headers) is { } trailersOnly) throw new RpcException(Failed(trailersOnly));
            if (response.StatusCode != HttpStatusCode.OK) throw new RpcException(GrpcHttp.FromHttp(response.StatusCode));
            if (response.Content.Headers.ContentType?.MediaType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
                throw new RpcException(new Status(StatusCode.Internal, $"the control plane answered {method} with content-type \"{response.Content.Headers.ContentType}\", not gRPC"));
            byte[]? reply;
            using (var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false))
                reply = await ReadMessageAsync(body, method, deadline.Token).ConfigureAwait(false);
            var status = GrpcHttp.FromHeaders(response.TrailingHeaders)
                ?? new Status(StatusCode.Internal, $"{method} ended without a grpc-status");
            if (status.StatusCode != StatusCode.OK) throw new RpcException(status);
            return decode(reply ?? throw new RpcException(new Status(StatusCode.Internal, $"{method} returned OK without a response message")));
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{method}: the response is not a valid message ({e.Message})", e));
        }
        catch (EndOfStreamException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{method}: the response ended inside a message", e));
        }
        catch (OperationCanceledException) when (!options.CancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, ""));
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, $"{method} was cancelled by the agent"));
        }
        catch (Exception e) when (e is not RpcException && (GrpcHttp.FromReset(e) ?? GrpcHttp.FromTransport(e)) is { } status)
        {
            throw new RpcException(status);
        }
    }

    /// <summary>A status from the server is never OK when no message came.</summary>
    private static Status Failed(Status status) =>
        status.StatusCode == StatusCode.OK ? new Status(StatusCode.Internal, "the control plane ended the call without a response message") : status;

    private static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[GrpcHttp.FrameHeaderLength + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), message.Length);
        message.CopyTo(frame.AsSpan(GrpcHttp.FrameHeaderLength));
        return frame;
    }

    /// <summary>The response's one message (null when the body is empty); more than one is a protocol error.</summary>
    private static async Task<byte[]?> ReadMessageAsync(Stream body, string method, CancellationToken cancel)
    {
        var header = new byte[GrpcHttp.FrameHeaderLength];
        int got = await body.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < header.Length) throw Protocol($"{method}: the response ended inside a message header");
        if (header[0] != 0) throw Protocol($"{method}: the response is compressed, which the agent did not ask for");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > MaxResponseBytes)
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{method}: response of {length} bytes exceeds the {MaxResponseBytes} byte limit"));
        var message = new byte[length];
        await body.ReadExactlyAsync(message, cancel).ConfigureAwait(false);
        if (await body.ReadAsync(header.AsMemory(0, 1), cancel).ConfigureAwait(false) != 0)
            throw Protocol($"{method}: more than one response message");
        return message;
    }

    private static RpcException Protocol(string what) => new(new Status(StatusCode.Internal, what));
}
