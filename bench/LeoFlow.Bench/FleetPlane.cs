using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Leoflow.Agent.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeoFlow.Bench;

/// <summary>
/// One control plane for a fleet of agents on 127.0.0.1 (HTTP/2, Kestrel): each agent is told
/// apart by its bearer token, and every stdout line number it delivers is recorded, so lost and
/// repeated lines can be counted. It can be stopped and started again on the same port; while it
/// is down a bare listener takes the agents' connection attempts and closes them, which is how they
/// are counted (a refused SYN leaves no trace to count). Not itself the bottleneck: a generated
/// service that keeps a few integers per line.
/// </summary>
internal sealed class FleetPlane : IAsyncDisposable
{
    private WebApplication? _app;
    private TcpListener? _down;
    private Task _downLoop = Task.CompletedTask;

    private FleetPlane(int port) => Port = port;

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Per agent (its token): what it delivered and reported.</summary>
    public ConcurrentDictionary<string, FleetAgent> Agents { get; } = new(StringComparer.Ordinal);

    /// <summary>Stopwatch timestamps of every TCP connection the agents opened, to the plane or to the listener standing in while it is down.</summary>
    public ConcurrentQueue<long> Connections { get; } = new();

    /// <summary>The task every agent runs.</summary>
    public required TaskSpec Spec { get; init; }

    /// <summary>Told (with the agent's authorization header) when an agent reports its end: it is alive, waiting for the answer.</summary>
    public Action<string>? Reported { get; init; }

    public static async Task<FleetPlane> StartAsync(TaskSpec spec, Action<string> reported)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var plane = new FleetPlane(port) { Spec = spec, Reported = reported };
        await plane.UpAsync();
        return plane;
    }

    /// <summary>
    /// Stops the plane at once, as a crash or a pod replaced would (no grace: every call and
    /// connection ends now), and takes connections with the stand-in listener.
    /// </summary>
    public async Task DownAsync()
    {
        using (var stop = new CancellationTokenSource())
        {
            await stop.CancelAsync();
            await _app!.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
        _app = null;
        _down = new TcpListener(IPAddress.Loopback, Port);
        _down.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _down.Start(1024);
        _downLoop = RefuseAsync(_down);
    }

    /// <summary>Starts the plane on its port again (the stand-in listener first stops).</summary>
    public async Task UpAsync()
    {
        var app = Build();
        // The stand-in listener stops only now, so that the port is closed for as short a time as
        // Kestrel takes to bind (connections queued meanwhile would all be counted at once).
        if (_down is not null)
        {
            _down.Stop();
            await _downLoop;
            _down = null;
        }
        await app.StartAsync();
        _app = app;
    }

    private WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Listen(IPAddress.Loopback, Port, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(next => connection =>
                {
                    Connections.Enqueue(Stopwatch.GetTimestamp());
                    return next(connection);
                });
            });
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton(this);
        var app = builder.Build();
        app.MapGrpcService<FleetService>();
        return app;
    }

    private async Task RefuseAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                Connections.Enqueue(Stopwatch.GetTimestamp());
                client.Client.Close(0);   // as a plane that is not there yet: the agent retries
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { /* stopped */ }
    }

    public FleetAgent Agent(ServerCallContext context)
    {
        string token = context.RequestHeaders.GetValue("authorization") ?? "";
        return Agents.GetOrAdd(token, _ => new FleetAgent());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(stop.Token);
            await _app.DisposeAsync();
        }
        if (_down is not null)
        {
            _down.Stop();
            await _downLoop;
        }
    }
}

/// <summary>What one agent of the fleet delivered: stdout line numbers (how often each), stream opens, its end.</summary>
internal sealed class FleetAgent
{
    private readonly Dictionary<long, int> _lines = [];

    /// <summary>Stopwatch timestamps of its StreamLogs calls.</summary>
    public ConcurrentQueue<long> StreamOpens { get; } = new();

    public TaskState Final { get; set; }

    public void Line(long number)
    {
        lock (_lines) _lines[number] = _lines.GetValueOrDefault(number) + 1;
    }

    /// <summary>Numbers 1..expected never received.</summary>
    public int Missing(int expected)
    {
        lock (_lines) return Enumerable.Range(1, expected).Count(n => !_lines.ContainsKey(n));
    }

    public bool Has(long number)
    {
        lock (_lines) return _lines.ContainsKey(number);
    }

    /// <summary>Receptions beyond the first of each line.</summary>
    public int Repeated()
    {
        lock (_lines) return _lines.Values.Sum(c => c - 1);
    }
}

/// <summary>AgentService for the fleet: every agent runs the plane's task; nothing is refused.</summary>
internal sealed class FleetService(FleetPlane plane) : AgentService.AgentServiceBase
{
    public override Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context) =>
        Task.FromResult(new RegisterResponse { SessionId = "fleet", ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) });

    public override Task<TaskSpec> GetTaskSpec(GetTaskSpecRequest request, ServerCallContext context) => Task.FromResult(plane.Spec);

    public override Task<GetVariablesResponse> GetVariables(GetVariablesRequest request, ServerCallContext context) => Task.FromResult(new GetVariablesResponse());

    public override Task<GetConnectionsResponse> GetConnections(GetConnectionsRequest request, ServerCallContext context) => Task.FromResult(new GetConnectionsResponse());

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(new HeartbeatResponse { ServerTime = Timestamp.FromDateTime(DateTime.UtcNow) });

    public override Task<PushXComResponse> PushXCom(PushXComRequest request, ServerCallContext context) => Task.FromResult(new PushXComResponse { Accepted = true });

    public override Task<ReportStateResponse> ReportState(ReportStateRequest request, ServerCallContext context)
    {
        if (request.State != TaskState.Running)
        {
            plane.Agent(context).Final = request.State;
            plane.Reported?.Invoke(context.RequestHeaders.GetValue("authorization") ?? "");
        }
        return Task.FromResult(new ReportStateResponse { Acknowledged = true });
    }

    public override async Task StreamLogs(IAsyncStreamReader<LogLine> requestStream, IServerStreamWriter<LogAck> responseStream, ServerCallContext context)
    {
        var agent = plane.Agent(context);
        agent.StreamOpens.Enqueue(Stopwatch.GetTimestamp());
        try
        {
            while (await requestStream.MoveNext(CancellationToken.None))
                if (requestStream.Current is { Stream: "stdout", LineNumber: > 0 } line) agent.Line(line.LineNumber);
        }
        catch (IOException) { /* the plane is stopping, or the agent went away: what arrived is counted */ }
        catch (OperationCanceledException) { /* likewise */ }
    }
}
