using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using LeoFlow.Agent.Tracing.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeoFlow.ControlPlane;

/// <summary>How the collector stand-in answers an export.</summary>
public enum CollectorBehaviour
{
    /// <summary>Records the spans and answers OK.</summary>
    Accept,
    /// <summary>Records the request and never answers (until the caller gives up).</summary>
    Hang,
    /// <summary>Records the request and answers Unauthenticated.</summary>
    Refuse,
}

/// <summary>
/// An OTLP/gRPC trace collector on Kestrel (127.0.0.1, HTTP/2, plaintext or TLS): the agent's
/// generated <c>TraceService</c> base, recording each export with its request headers.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpCollector(WebApplication app, Received received, int port, bool tls)
    {
        _app = app;
        Exports = received;
        Endpoint = $"{(tls ? "https" : "http")}://127.0.0.1:{port}";
    }

    /// <summary>http://127.0.0.1:port (https:// with TLS).</summary>
    public string Endpoint { get; }

    public Received Exports { get; }

    /// <summary>Every span of every export, in arrival order.</summary>
    public IReadOnlyList<Span> Spans => Exports.Requests.SelectMany(r => r.Request.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToArray();

    public static async Task<OtlpCollector> StartAsync(CollectorBehaviour behaviour = CollectorBehaviour.Accept, X509Certificate2? certificate = null)
    {
        var received = new Received(behaviour);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            if (certificate is not null) l.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(received);
        var app = builder.Build();
        app.MapGrpcService<TraceServiceImpl>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OtlpCollector(app, received, new Uri(address).Port, certificate is not null);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }

    /// <summary>What arrived: each export request with its headers.</summary>
    public sealed class Received(CollectorBehaviour behaviour)
    {
        public CollectorBehaviour Behaviour { get; } = behaviour;
        public ConcurrentQueue<(ExportTraceServiceRequest Request, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();
    }

    private sealed class TraceServiceImpl(Received received) : TraceService.TraceServiceBase
    {
        public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            var headers = context.RequestHeaders.Where(h => !h.IsBinary).GroupBy(h => h.Key).ToDictionary(g => g.Key, g => g.Last().Value);
            received.Requests.Enqueue((request, headers));
            if (received.Behaviour == CollectorBehaviour.Hang)
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            if (received.Behaviour == CollectorBehaviour.Refuse)
                throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, "no such api key"));
            return new ExportTraceServiceResponse();
        }
    }
}
