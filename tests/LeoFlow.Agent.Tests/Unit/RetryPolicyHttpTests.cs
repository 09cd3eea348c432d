using Grpc.Core;
using Leoflow.Agent.V1;
using LeoFlow.Agent.Tests.Process;
using Microsoft.AspNetCore.Http;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// Which failures ControlPlaneCalls tries again for variables and connections (RetryPolicy.TransportOnly):
/// a proxy that could not reach the control plane, yes; the control plane's own Unavailable, no.
/// </summary>
public sealed class RetryPolicyHttpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static async Task<(int Calls, Exception? Failure)> CallAsync(Func<int, RequestDelegate> answer)
    {
        int calls = 0;
        await using var server = await RawGrpcServer.StartAsync(context => answer(Interlocked.Increment(ref calls))(context));
        using var connection = server.Dial();
        var policy = new ControlPlaneCalls(new RecordingDiagnostics(), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        try
        {
            await policy.CallAsync("Register", TaskTrace.Unexported().Root, o => connection.Client.RegisterAsync(new RegisterRequest(), o), RetryPolicy.TransportOnly).WaitAsync(Bound);
            return (calls, null);
        }
        catch (RpcException e)
        {
            return (calls, e);
        }
    }

    [Fact]
    public async Task AProxysServiceUnavailableIsTriedAgain()
    {
        var (calls, failure) = await CallAsync(n => n == 1
            ? async context => { await RawGrpcServer.Drain(context); context.Response.StatusCode = 503; }
            : RawGrpcServer.Grpc(RawGrpcServer.Frame([0x0A, 0x01, (byte)'s']), ("grpc-status", "0")));

        Assert.Null(failure);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task TheControlPlanesOwnUnavailableIsAnAnswer()
    {
        var (calls, failure) = await CallAsync(_ => async context =>
        {
            await RawGrpcServer.Drain(context);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "14";
            context.Response.Headers["grpc-message"] = "secrets delivery is not configured";
        });

        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(failure).StatusCode);
        Assert.Equal(1, calls);
    }
}
