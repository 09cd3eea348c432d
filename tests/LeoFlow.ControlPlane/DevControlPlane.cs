using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
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

    /// <summary>
    /// Starts listening; port 0 picks a free one. With <paramref name="certificate"/> TLS, and
    /// with <paramref name="clientCas"/> too, mutual TLS: a client certificate issued by one of
    /// those CAs is required.
    /// </summary>
    public static async Task<DevControlPlane> StartAsync(ControlPlaneScript? script = null, X509Certificate2? certificate = null, int port = 0,
        X509Certificate2Collection? clientCas = null)
    {
        script ??= new ControlPlaneScript();
        var record = new ControlPlaneRecord();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (script.StreamWindowBytes is { } window)
            {
                k.Limits.Http2.InitialStreamWindowSize = window;
                k.Limits.Http2.InitialConnectionWindowSize = window;
            }
            k.Listen(IPAddress.Loopback, port, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                if (certificate is not null) l.UseHttps(Https(certificate, clientCas));
            });
        });
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
        builder.Services.AddSingleton(script);
        builder.Services.AddSingleton(record);
        var app = builder.Build();
        app.MapGrpcService<AgentServiceImpl>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DevControlPlane(app, script, record, new Uri(address).Port, certificate is not null);
    }

    private static HttpsConnectionAdapterOptions Https(X509Certificate2 certificate, X509Certificate2Collection? clientCas) => new()
    {
        // A selector rather than ServerCertificate: only then does Kestrel record the SNI name.
        ServerCertificateSelector = (_, _) => certificate,
        ClientCertificateMode = clientCas is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
        ClientCertificateValidation = clientCas is null ? null : (client, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(clientCas);
            return chain.Build(client);
        },
    };

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
