using LeoFlow.Agent.Channel;
using Grpc.Core;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>Plaintext meets TLS, or an old TLS: the agent says which, in one line.</summary>
public sealed class TransportMismatchTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task PlaintextClientAgainstTlsServerSuggestsHttps()
    {
        await using var plane = await DevControlPlane.StartAsync(certificate: _bed.Server());
        var settings = _bed.Settings(plane);
        settings["LEOFLOW_CONTROL_PLANE_ADDR"] = $"http://127.0.0.1:{plane.Port}";

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.False(run.Result.Succeeded);
        Assert.True(run.Result.Error!.Contains($"hung up without answering HTTP/2; if it serves TLS, use https://127.0.0.1:{plane.Port}", StringComparison.Ordinal), run.Result.Error + "\n" + run.Diagnostics);
        Assert.Empty(plane.Record.Authorizations);
    }

    [Fact]
    public async Task TlsClientAgainstPlaintextServerSaysItDoesNotSpeakTls()
    {
        await using var plane = await DevControlPlane.StartAsync();

        var run = await TlsTestBed.RunAsync(plane, _bed.Settings(plane));

        Assert.False(run.Result.Succeeded);
        Assert.Contains($"TLS: the server at 127.0.0.1:{plane.Port} does not speak TLS", run.Result.Error);
        Assert.DoesNotContain("retrying", run.Diagnostics);
        Assert.Empty(plane.Record.Authorizations);
    }

    public static TheoryData<string> OldServers => new() { "TLS 1.1 ServerHello", "protocol_version alert" };

    [Theory]
    [MemberData(nameof(OldServers))]
    public async Task ServerBelowTls12FailsNamingTheVersion(string answer)
    {
        await using var plane = await DevControlPlane.StartAsync();   // only for the harness; never reached
        await using var old = new FakeTlsServer(answer.StartsWith("TLS 1.1", StringComparison.Ordinal) ? FakeTlsServer.Tls11ServerHello() : FakeTlsServer.ProtocolVersionAlert());
        var settings = _bed.Settings(plane);
        settings["LEOFLOW_CONTROL_PLANE_ADDR"] = $"https://127.0.0.1:{old.Port}";

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.False(run.Result.Succeeded);
        Assert.Contains($"TLS: the server at 127.0.0.1:{old.Port} only speaks a TLS version older than 1.2 (TLS version too old)", run.Result.Error);
        Assert.DoesNotContain("retrying", run.Diagnostics);
    }

    /// <summary>A server that accepts and never answers: the connect timeout (TCP + TLS) ends it as a retryable Unavailable.</summary>
    [Fact]
    public async Task SilentServerTimesOutAsUnavailableNamingTheConnectTimeout()
    {
        await using var silent = new FakeTlsServer(null);
        using var connection = AgentChannel.Dial(new ChannelOptions(new Uri($"https://127.0.0.1:{silent.Port}"), TokenSource.Fixed("t"), null));

        var e = await Assert.ThrowsAsync<RpcException>(() => connection.Client.RegisterAsync(new RegisterRequest(), deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal($"connecting to the control plane at 127.0.0.1:{silent.Port} timed out after 10 s (TCP connect and TLS handshake)", e.Status.Detail);
        Assert.IsNotType<ChannelSecurityException>(e.Status.DebugException);
    }

    /// <summary>A server that hangs up mid-handshake may be restarting: retryable, and said so.</summary>
    [Fact]
    public async Task HangUpDuringHandshakeIsRetryableUnavailable()
    {
        await using var closing = new FakeTlsServer([]);
        using var connection = AgentChannel.Dial(new ChannelOptions(new Uri($"https://127.0.0.1:{closing.Port}"), TokenSource.Fixed("t"), null));

        var e = await Assert.ThrowsAsync<RpcException>(() => connection.Client.RegisterAsync(new RegisterRequest(), deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal($"TLS: the server at 127.0.0.1:{closing.Port} closed the connection during the TLS handshake", e.Status.Detail);
        Assert.IsNotType<ChannelSecurityException>(e.Status.DebugException);
    }
}
