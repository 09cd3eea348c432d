using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Leoflow.Agent.V1;

public static partial class AgentService
{
    public partial class AgentServiceClient
    {
        private UnaryCalls? _calls;

        /// <summary>
        /// A client whose unary calls go straight to the channel's invoker: without the interceptor
        /// ClientBase puts in front of it, which applies a host override these calls never have
        /// and would cost a generic virtual call of its own on the first call.
        /// </summary>
        internal static AgentServiceClient For(GrpcChannel channel)
        {
            var invoker = channel.CreateCallInvoker();
            return new AgentServiceClient(invoker) { _calls = new UnaryCalls(invoker) };
        }

        /// <summary>
        /// What the generated methods of this class call: a member named <c>CallInvoker</c> hides
        /// <c>ClientBase.CallInvoker</c> for them (see <see cref="UnaryCalls"/>).
        /// </summary>
        private new UnaryCalls CallInvoker => _calls ??= new UnaryCalls(base.CallInvoker);
    }
}

/// <summary>
/// <para>
/// Every unary call of the generated client as one instantiation of <c>CallInvoker.AsyncUnaryCall</c>:
/// request and response typed as <see cref="IMessage"/>, each RPC's own marshallers behind them.
/// <c>AsyncUnaryCall&lt;TRequest, TResponse&gt;</c> is a generic virtual method; in the Native AOT
/// binary the first call of each request/response pair had the runtime's type loader build the
/// method's generic dictionary and the generic types it needs, about a third of the agent's CPU
/// time over a short task (docs/benchmarks.md). One pair builds them once.
/// </para>
/// <para>
/// The call is the same as the generated code's: same method name and service (so the same path),
/// same options, same marshalled bytes, and the same <see cref="AsyncUnaryCall{TResponse}"/> surface
/// (response, headers, status, trailers, dispose).
/// </para>
/// </summary>
internal sealed class UnaryCalls(CallInvoker invoker)
{
    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        where TRequest : class, IMessage
        where TResponse : class, IMessage
    {
        var call = invoker.AsyncUnaryCall(Untyped<TRequest, TResponse>.Of(method), host, options, request);
        return new AsyncUnaryCall<TResponse>(Typed<TResponse>(call.ResponseAsync), call.ResponseHeadersAsync,
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private static async Task<TResponse> Typed<TResponse>(Task<IMessage> response) => (TResponse)await response.ConfigureAwait(false);

    // The rest of the generated methods, which the agent does not call, as before.
    public TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        where TRequest : class
        where TResponse : class
        => invoker.BlockingUnaryCall(method, host, options, request);

    public AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
        where TRequest : class
        where TResponse : class
        => invoker.AsyncDuplexStreamingCall(method, host, options);

    /// <summary>One RPC's descriptor with its messages untyped, made once per RPC.</summary>
    private static class Untyped<TRequest, TResponse>
        where TRequest : class, IMessage
        where TResponse : class, IMessage
    {
        private static (Method<TRequest, TResponse> Typed, Method<IMessage, IMessage> Untyped)? s_cached;

        public static Method<IMessage, IMessage> Of(Method<TRequest, TResponse> method)
        {
            // A pair of message types is one RPC in this contract; any other is made afresh.
            if (s_cached is { } cached && ReferenceEquals(cached.Typed, method)) return cached.Untyped;
            var request = method.RequestMarshaller;
            var response = method.ResponseMarshaller;
            var untyped = new Method<IMessage, IMessage>(method.Type, method.ServiceName, method.Name,
                new Marshaller<IMessage>((message, context) => request.ContextualSerializer((TRequest)message, context),
                    context => request.ContextualDeserializer(context)),
                new Marshaller<IMessage>((message, context) => response.ContextualSerializer((TResponse)message, context),
                    context => response.ContextualDeserializer(context)));
            s_cached = (method, untyped);
            return untyped;
        }
    }
}
