using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeoFlow.ControlPlane;

/// <summary>A real AgentService on Kestrel, 127.0.0.1, HTTP/2 only; plaintext or TLS.</summary>
public sealed class DevControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private DevControlPlane(WebApplication app, ControlPlaneScript script, ControlPlaneRecord record, int port, bool tls)
    {
        _app = app;
        Script = script;
        Record = record;
        Port = port;
        UsesTls = tls;
    }

    public ControlPlaneScript Script { get; }
    public ControlPlaneRecord Record { get; }
    public int Port { get; }
    public bool UsesTls { get; }

    /// <summary>host:port, as the control plane hands it to agents.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Starts listening; port 0 picks a free one.</summary>
    public static async Task<DevControlPlane> StartAsync(ControlPlaneScript? script = null, X509Certificate2? certificate = null, int port = 0)
    {
        script ??= new ControlPlaneScript();
        var record = new ControlPlaneRecord();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            if (certificate is not null) l.UseHttps(certificate);
        }));
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
        builder.Services.AddSingleton(script);
        builder.Services.AddSingleton(record);
        var app = builder.Build();
        app.MapGrpcService<AgentServiceImpl>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DevControlPlane(app, script, record, new Uri(address).Port, certificate is not null);
    }

    /// <summary>
    /// Stops listening, waits up to 5 s for calls in progress (an open log stream never ends on
    /// its own), then drops the connections. A second call does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
