using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Leoflow.Agent.V1;
using Xunit;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// The generated client's unary calls reach the channel as one &lt;IMessage, IMessage&gt; call
/// (Channel/AgentServiceClient.cs): the same RPC name, options and request bytes, the response
/// handed back typed, and one descriptor per RPC however often it is called.
/// </summary>
public class UnaryCallsTests
{
    [Fact]
    public async Task EachCallReachesTheInvokerUntypedWithItsOwnNameOptionsAndBytes()
    {
        var invoker = new RecordingInvoker(new RegisterResponse { SessionId = "s-1" });
        var client = new AgentService.AgentServiceClient(invoker);
        var deadline = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var request = new RegisterRequest { AgentVersion = "1.2.3", Hostname = "h" };

        var reply = await client.RegisterAsync(request, new CallOptions(deadline: deadline));

        Assert.Equal("s-1", reply.SessionId);
        var call = Assert.Single(invoker.Calls);
        Assert.IsType<Method<IMessage, IMessage>>(call.Method);   // the one instantiation every RPC shares
        Assert.Equal("/leoflow.agent.v1.AgentService/Register", call.Method.FullName);
        Assert.Equal(MethodType.Unary, call.Method.Type);
        Assert.Equal(deadline, call.Options.Deadline);
        Assert.Equal(request.ToByteArray(), call.RequestBytes);
    }

    [Fact]
    public async Task AnRpcCalledTwiceUsesOneDescriptorAndTwoRpcsTwo()
    {
        var invoker = new RecordingInvoker(new HeartbeatResponse());
        var client = new AgentService.AgentServiceClient(invoker);

        await client.HeartbeatAsync(new HeartbeatRequest(), new CallOptions());
        await client.HeartbeatAsync(new HeartbeatRequest(), new CallOptions());
        invoker.Response = new ReportStateResponse { ShouldTerminate = true };
        var report = await client.ReportStateAsync(new ReportStateRequest(), new CallOptions());

        Assert.True(report.ShouldTerminate);
        Assert.Equal(3, invoker.Calls.Count);
        Assert.Same(invoker.Calls[0].Method, invoker.Calls[1].Method);
        Assert.NotSame(invoker.Calls[1].Method, invoker.Calls[2].Method);
        Assert.Equal("/leoflow.agent.v1.AgentService/ReportState", invoker.Calls[2].Method.FullName);
    }

    [Fact]
    public async Task AFailedCallFailsTheTypedResponseWithTheSameStatus()
    {
        var invoker = new RecordingInvoker(new RpcException(new Status(StatusCode.Unavailable, "down")));
        var client = new AgentService.AgentServiceClient(invoker);

        using var call = client.GetTaskSpecAsync(new GetTaskSpecRequest(), new CallOptions());
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(StatusCode.Unavailable, call.GetStatus().StatusCode);
    }

    private sealed record RecordedCall(IMethod Method, CallOptions Options, byte[] RequestBytes);

    /// <summary>Answers every unary call with one message (or failure), serialised and parsed by the call's own marshallers.</summary>
    private sealed class RecordingInvoker(object answer) : CallInvoker
    {
        public object Response { get; set; } = answer;

        public List<RecordedCall> Calls { get; } = [];

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            var serialized = new Serialized();
            method.RequestMarshaller.ContextualSerializer(request, serialized);
            byte[] bytes = serialized.Bytes;
            Calls.Add(new RecordedCall(method, options, bytes));
            Task<TResponse> response;
            Status status;
            if (Response is RpcException failure)
            {
                response = Task.FromException<TResponse>(failure);
                status = failure.Status;
            }
            else
            {
                // Through the response marshaller, as the channel would: what comes back is parsed, not passed.
                response = Task.FromResult(method.ResponseMarshaller.ContextualDeserializer(new Received(((IMessage)Response).ToByteArray())));
                status = Status.DefaultSuccess;
            }
            return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => status, () => [], () => { });
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();
    }

    /// <summary>The two contexts a channel gives marshallers, over plain arrays.</summary>
    private sealed class Serialized : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _writer = new();

        public byte[] Bytes { get; private set; } = [];

        public override void Complete(byte[] payload) => Bytes = payload;

        public override void SetPayloadLength(int payloadLength) { }

        public override IBufferWriter<byte> GetBufferWriter() => _writer;

        public override void Complete() => Bytes = _writer.WrittenSpan.ToArray();
    }

    private sealed class Received(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }
}
