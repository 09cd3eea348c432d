using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Tests.Process;
using Leoflow.Agent.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// How a unary call (the generated client on the agent's channel, through ControlPlaneCalls, as
/// the lifecycle makes it) reads answers that grpc-dotnet never gives but another control plane
/// or a proxy in front of it may: HTTP errors, other content types, trailers-only, missing or odd
/// statuses, compressed, oversized, extra or malformed messages, unknown fields, and calls the
/// server never answers.
/// </summary>
public sealed class UnaryCallHttpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>RegisterResponse { session_id: "s-1" }.</summary>
    private static readonly byte[] SessionS1 = [0x0A, 0x03, (byte)'s', (byte)'-', (byte)'1'];

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>One attempt, as the agent makes it (no retry, so each answer is seen as it is).</summary>
    private static Task<RegisterResponse> Register(AgentConnection connection, RegisterRequest request, TimeSpan? deadline = null, CancellationToken cancel = default) =>
        new ControlPlaneCalls(new RecordingDiagnostics(), deadline ?? Deadline, TimeSpan.FromMilliseconds(10))
            .CallAsync("Register", TaskTrace.Unexported().Root, o => connection.Client.RegisterAsync(request, o), RetryPolicy.None, cancel);

    private static async Task<RegisterResponse> RegisterAsync(RequestDelegate handler)
    {
        await using var server = await RawGrpcServer.StartAsync(handler);
        using var connection = server.Dial();
        return await Register(connection, new RegisterRequest()).WaitAsync(Bound);
    }

    private static async Task<RpcException> FailsAsync(RequestDelegate handler, TimeSpan? deadline = null)
    {
        await using var server = await RawGrpcServer.StartAsync(handler);
        using var connection = server.Dial();
        return await Assert.ThrowsAsync<RpcException>(() => Register(connection, new RegisterRequest(), deadline)).WaitAsync(Bound);
    }

    /// <summary>A grpc-timeout header's value (PROTOCOL-HTTP2.md: at most 8 digits and a unit).</summary>
    private static TimeSpan ParseTimeout(string value)
    {
        long amount = long.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(value.Length - 1, 1, 8);
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => throw new FormatException($"grpc-timeout unit in {value}"),
        };
    }

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    public async Task HttpErrorWithoutGrpcStatusMapsAsGrpcClientsDo(int http, StatusCode expected)
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Response.StatusCode = http;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body>proxy error</body></html>", context.RequestAborted);
        });

        Assert.Equal(expected, e.StatusCode);
        Assert.Equal($"HTTP {http} from the control plane", e.Status.Detail);
        // Unavailable from a proxy is a transport failure (retried even for variables and connections).
        Assert.Equal(expected == StatusCode.Unavailable, e.Status.DebugException is HttpRequestException);
    }

    /// <summary>http-grpc-status-mapping.md: the HTTP table is only for responses without grpc-status; "if grpc-status was provided, it must be used".</summary>
    [Theory]
    [InlineData(404, "5", StatusCode.NotFound)]
    [InlineData(503, "8", StatusCode.ResourceExhausted)]
    public async Task HttpErrorWithGrpcStatusUsesTheGrpcStatus(int http, string grpcStatus, StatusCode expected)
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Response.StatusCode = http;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = grpcStatus;
            context.Response.Headers["grpc-message"] = "from%20the%20server";
        });

        Assert.Equal(expected, e.StatusCode);
        Assert.Equal("from the server", e.Status.Detail);
    }

    [Theory]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task OkThatIsNotGrpcIsInternalNamingTheContentType(string? contentType)
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Response.StatusCode = 200;
            if (contentType is not null) context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(RawGrpcServer.Frame(SessionS1), context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        });

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains($"answered Register with content-type \"{contentType}\", not gRPC", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/grpc")]
    [InlineData("application/grpc+proto")]
    [InlineData("Application/GRPC")]
    public async Task OneMessageAndStatusOkIsTheResponse(string contentType)
    {
        var received = new TaskCompletionSource<(string? Protocol, string? ContentType, string? Te, string? Authorization, string? Timeout, byte[] Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        RegisterResponse response;
        await using (var server = await RawGrpcServer.StartAsync(async context =>
        {
            byte[] body = await RawGrpcServer.Drain(context);
            var headers = context.Request.Headers;
            received.TrySetResult((context.Request.Protocol, context.Request.ContentType, headers.TE, headers.Authorization, headers["grpc-timeout"], body));
            context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(RawGrpcServer.Frame(SessionS1), context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        }))
        using (var connection = server.Dial())
            response = await Register(connection, new RegisterRequest { AgentVersion = "v", Hostname = "h" }).WaitAsync(Bound);

        Assert.Equal("s-1", response.SessionId);
        var request = await received.Task.WaitAsync(Bound);
        Assert.Equal("HTTP/2", request.Protocol);
        Assert.Equal("application/grpc", request.ContentType);
        Assert.Equal("trailers", request.Te);
        Assert.Equal("Bearer t", request.Authorization);
        // The 30 s deadline, as the server sees it (less the time the call took to leave).
        Assert.InRange(ParseTimeout(request.Timeout!), Deadline - TimeSpan.FromSeconds(10), Deadline);
        // One uncompressed frame: agent_version "v" (field 1), hostname "h" (field 2).
        Assert.Equal(Hex("00 00000006 0A0176 120168"), request.Body);
    }

    [Theory]
    [InlineData("5", "no%20such%20thing", StatusCode.NotFound, "no such thing")]
    [InlineData("3", "caf%C3%A9 100%25", StatusCode.InvalidArgument, "café 100%")]
    [InlineData("6", "100%zz", StatusCode.AlreadyExists, "100%zz")]   // a broken escape stays as it came
    [InlineData("14", null, StatusCode.Unavailable, "")]
    [InlineData("not-a-number", "odd", StatusCode.Unknown, "odd")]
    public async Task StatusInTheTrailersIsTheCallsStatusEvenAfterAMessage(string grpcStatus, string? grpcMessage, StatusCode expected, string detail)
    {
        var trailers = grpcMessage is null ? new[] { ("grpc-status", grpcStatus) } : [("grpc-status", grpcStatus), ("grpc-message", grpcMessage)];

        var e = await FailsAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(SessionS1), trailers));

        Assert.Equal(expected, e.StatusCode);
        Assert.Equal(detail, e.Status.Detail);
    }

    [Fact]
    public async Task TrailersOnlyResponseIsTheStatusInTheHeaders()
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "7";
            context.Response.Headers["grpc-message"] = "not%20this%20agent";
        });

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal("not this agent", e.Status.Detail);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OkWithoutAMessageIsInternal(bool trailersOnly)
    {
        var e = await FailsAsync(trailersOnly
            ? async context =>
            {
                await RawGrpcServer.Drain(context);
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "0";
            }
            : RawGrpcServer.Grpc([], ("grpc-status", "0")));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("response message", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EndWithoutGrpcStatusIsInternal(bool withMessage)
    {
        var e = await FailsAsync(RawGrpcServer.Grpc(withMessage ? RawGrpcServer.Frame(SessionS1) : []));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Equal("Register ended without a grpc-status", e.Status.Detail);
    }

    [Fact]
    public async Task CompressedMessageIsInternal()
    {
        var e = await FailsAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(SessionS1, compressed: 1), ("grpc-status", "0")));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("compressed", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageDeclaredOverTheLimitIsResourceExhaustedBeforeItArrives()
    {
        const uint declared = GrpcHttp.MaxMessageBytes + 1;

        var e = await FailsAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(SessionS1, declaredLength: declared), ("grpc-status", "0")));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("exceeds the maximum", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageOfExactlyTheLimitIsRead()
    {
        // session_id (tag, 4-byte varint length, value) filling the 4 MiB exactly.
        int valueLength = GrpcHttp.MaxMessageBytes - 1 - 4;
        var payload = new byte[GrpcHttp.MaxMessageBytes];
        payload[0] = 0x0A;
        payload[1] = (byte)(valueLength & 0x7F | 0x80);
        payload[2] = (byte)(valueLength >> 7 & 0x7F | 0x80);
        payload[3] = (byte)(valueLength >> 14 & 0x7F | 0x80);
        payload[4] = (byte)(valueLength >> 21);
        payload.AsSpan(5).Fill((byte)'x');

        var response = await RegisterAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(payload), ("grpc-status", "0")));

        Assert.Equal(valueLength, response.SessionId.Length);
        Assert.True(response.SessionId.All(c => c == 'x'));
    }

    [Theory]
    [InlineData("")]     // a second, empty message
    [InlineData("0A0178")]
    public async Task SecondMessageIsInternal(string second)
    {
        byte[] body = [.. RawGrpcServer.Frame(SessionS1), .. RawGrpcServer.Frame(Hex(second))];

        var e = await FailsAsync(RawGrpcServer.Grpc(body, ("grpc-status", "0")));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("Unexpected data after finished reading message", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00 000000", "Unexpected end of content while reading the message header")]
    [InlineData("00 0000000A 0A0378", "Unexpected end of content while reading the message content")]
    public async Task BodyEndingInsideAFrameIsInternal(string body, string detail)
    {
        var e = await FailsAsync(RawGrpcServer.Grpc(Hex(body), ("grpc-status", "0")));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains(detail, e.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Not retried: the same bytes would come again (the parser's exception is an IOException, which grpc-dotnet calls Unavailable).</summary>
    [Theory]
    [InlineData("0A 05 61")]                   // length past the end of the message
    [InlineData("0A")]                         // truncated varint
    [InlineData("FFFFFFFFFFFFFFFFFFFF 01")]    // varint longer than ten bytes
    [InlineData("02 00")]                      // invalid field number
    [InlineData("0E 00")]                      // wire type 6
    [InlineData("5C")]                         // an end of group that was never started
    [InlineData("5B 0801")]                    // unterminated group
    [InlineData("41 0102")]                    // truncated fixed64
    public async Task MalformedMessageIsInternal(string payload)
    {
        var e = await FailsAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(Hex(payload)), ("grpc-status", "0")));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.StartsWith("Register: the response is not a valid message (", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3896 01 0A03732D31")]                       // varint field 7
    [InlineData("41 0102030405060708 0A03732D31")]           // fixed64 field 8
    [InlineData("0A03732D31 4A 02 7879")]                    // length-delimited field 9
    [InlineData("55 01020304 0A03732D31")]                   // fixed32 field 10
    [InlineData("5B 0801 0A027A7A 63 64 5C 0A03732D31")]     // group 11 holding a session_id of its own and a nested group 12
    [InlineData("0A0161 0A03732D31 0805")]                   // the last session_id wins; a varint field 1 is not a session_id
    [InlineData("3896 01 41 0102030405060708 0A0161 4A 02 7879 55 01020304 5B 0801 0A027A7A 5C 0A03732D31 0805 3801")]
    public async Task UnknownFieldsOfEveryWireTypeAreSkipped(string payload)
    {
        var response = await RegisterAsync(RawGrpcServer.Grpc(RawGrpcServer.Frame(Hex(payload)), ("grpc-status", "0")));

        Assert.Equal("s-1", response.SessionId);
    }

    /// <summary>Answers as far as <paramref name="hang"/> says, tells <paramref name="entered"/>, then waits for the agent to give up.</summary>
    private static RequestDelegate Hanging(string hang, TaskCompletionSource entered) => async context =>
    {
        await RawGrpcServer.Drain(context);
        if (hang != "before headers")
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync(context.RequestAborted);
            if (hang == "inside a message") await context.Response.Body.WriteAsync(RawGrpcServer.Frame(SessionS1)[..7], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        entered.TrySetResult();
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
    };

    [Theory]
    [InlineData("before headers")]
    [InlineData("after headers")]
    [InlineData("inside a message")]
    public async Task NoAnswerWithinTheDeadlineIsDeadlineExceededNamingIt(string hang)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var e = await FailsAsync(Hanging(hang, entered), TimeSpan.FromSeconds(1));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Equal("no answer within 1 s", e.Status.Detail);
    }

    [Theory]
    [InlineData("before headers")]
    [InlineData("after headers")]
    [InlineData("inside a message")]
    public async Task CallerGivingUpIsCancelled(string hang)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        await using var server = await RawGrpcServer.StartAsync(Hanging(hang, entered));
        using var connection = server.Dial();

        var call = Register(connection, new RegisterRequest(), TimeSpan.FromSeconds(60), cancel.Token);
        await entered.Task.WaitAsync(Bound);
        await cancel.CancelAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => call).WaitAsync(Bound);

        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Equal("Register was cancelled by the agent", e.Status.Detail);
    }

    /// <summary>PROTOCOL-HTTP2.md, "Errors": how a client reads a stream the server reset.</summary>
    [Theory]
    [InlineData(0x0, StatusCode.Unavailable, "NO_ERROR (it is going away)")]   // the spec says Internal, but notes servers lameduck with it: retried
    [InlineData(0x2, StatusCode.Internal, "INTERNAL_ERROR")]
    [InlineData(0x8, StatusCode.Cancelled, "CANCEL")]
    [InlineData(0xB, StatusCode.ResourceExhausted, "ENHANCE_YOUR_CALM")]
    public async Task StreamResetByTheServerMapsAsTheProtocolSays(int http2Error, StatusCode expected, string name)
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Features.GetRequiredFeature<IHttpResetFeature>().Reset(http2Error);
        });

        Assert.Equal("the control plane ended the call with HTTP/2 error " + name, e.Status.Detail);
        Assert.Equal(expected, e.StatusCode);
    }

    /// <summary>REFUSED_STREAM: nothing was processed, so Unavailable, which is retried.</summary>
    [Fact]
    public async Task StreamRefusedByTheServerIsUnavailable()
    {
        var e = await FailsAsync(async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Features.GetRequiredFeature<IHttpResetFeature>().Reset(0x7);   // REFUSED_STREAM
        });

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.NotNull(e.Status.DebugException);
    }
}
