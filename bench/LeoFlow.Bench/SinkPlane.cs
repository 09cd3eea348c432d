using System.Net;
using Leoflow.Agent.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeoFlow.Bench;

/// <summary>
/// A minimal control plane on Kestrel (127.0.0.1, HTTP/2): only what the agent needs, answered
/// minimally, and StreamLogs read as raw bytes (<see cref="LogFrameCounter"/>), so the figures
/// measure the agent rather than a server that builds an object per line. It stamps the first
/// connection and the first request headers of each run.
/// </summary>
internal sealed class SinkPlane : IAsyncDisposable
{
    private const string StreamLogsPath = "/leoflow.agent.v1.AgentService/StreamLogs";

    private WebApplication? _app;

    public string Address { get; private set; } = "";

    /// <summary>The run being measured; <see cref="Begin"/> starts a new one.</summary>
    public SinkRun Run { get; private set; } = new(new TaskSpec());

    public SinkRun Begin(TaskSpec spec, IReadOnlyDictionary<string, string>? variables = null) => Run = new SinkRun(spec, variables);

    public static async Task<SinkPlane> StartAsync()
    {
        var plane = new SinkPlane();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Kestrel's default HTTP/2 windows, as the dev control plane has: no tuning in the agent's favour.
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(next => connection =>
                {
                    plane.Run.MarkConnection();
                    return next(connection);
                });
            });
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(plane);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            plane.Run.MarkRequest();
            if (context.Request.Path == StreamLogsPath) await ReadLogsAsync(context, plane.Run);
            else await next(context);
        });
        app.MapGrpcService<SinkService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        plane._app = app;
        plane.Address = $"127.0.0.1:{new Uri(address).Port}";
        return plane;
    }

    /// <summary>StreamLogs: count frames until the agent half-closes, then end with an OK status and no messages.</summary>
    private static async Task ReadLogsAsync(HttpContext context, SinkRun run)
    {
        context.Response.ContentType = "application/grpc";
        // A log is one long request: lift Kestrel's 30 MB body limit, as Grpc.AspNetCore does for its own calls.
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
        var body = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await body.ReadAsync();
                long before = run.Logs.Numbered;
                var consumed = run.Logs.Consume(result.Buffer);
                run.Batch(before);
                body.AdvanceTo(consumed, result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (IOException) { return; }           // the agent went away: the counts say what arrived
        catch (OperationCanceledException) { return; }
        context.Response.AppendTrailer("grpc-status", "0");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
