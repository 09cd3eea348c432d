using System.Buffers.Binary;
using System.Net;
using LeoFlow.Agent.Channel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// Kestrel on 127.0.0.1, plaintext HTTP/2, answering AgentService/Register with whatever bytes,
/// headers and trailers a handler writes: the answers of a control plane or proxy that is not
/// grpc-dotnet, which the dev control plane cannot produce.
/// </summary>
internal sealed class RawGrpcServer : IAsyncDisposable
{
    public const string RegisterPath = "/leoflow.agent.v1.AgentService/Register";

    private readonly WebApplication _app;

    private RawGrpcServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<RawGrpcServer> StartAsync(RequestDelegate register)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapPost(RegisterPath, register);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RawGrpcServer(app, new Uri(address).Port);
    }

    /// <summary>The agent's channel to this server, with the bearer token "t".</summary>
    public AgentConnection Dial() =>
        AgentChannel.Dial(new ChannelOptions(new Uri($"http://127.0.0.1:{Port}"), TokenSource.Fixed("t"), null));

    /// <summary>One gRPC message frame: compression flag, 4-byte big-endian length, payload.</summary>
    public static byte[] Frame(byte[] payload, byte compressed = 0, uint? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = compressed;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength ?? (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>200, application/grpc, the body as given, then the trailers (none when empty).</summary>
    public static RequestDelegate Grpc(byte[] body, params (string Name, string Value)[] trailers) => async context =>
    {
        await Drain(context);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        foreach (var (name, value) in trailers) context.Response.AppendTrailer(name, value);
    };

    /// <summary>Reads the request body to its end, so that the answer never races the request.</summary>
    public static async Task<byte[]> Drain(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        return body.ToArray();
    }

    /// <summary>Stops listening; calls still hanging are dropped after 5 s.</summary>
    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
