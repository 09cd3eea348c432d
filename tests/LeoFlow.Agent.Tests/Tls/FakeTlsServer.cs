using System.Net;
using System.Net.Sockets;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>
/// A loopback TCP server that answers every client's first bytes (its TLS ClientHello) with fixed
/// bytes and hangs up: how servers that are not modern TLS servers answer, byte for byte. With no
/// answer it stays silent, holding the connection until the client gives up; with an empty one it
/// hangs up at once.
/// </summary>
public sealed class FakeTlsServer : IAsyncDisposable
{
    /// <summary>A TLS 1.1 ServerHello (TLS_RSA_WITH_AES_128_CBC_SHA): what a server limited to TLS 1.1 answers.</summary>
    public static byte[] Tls11ServerHello()
    {
        byte[] random = new byte[32];
        Random.Shared.NextBytes(random);
        byte[] body = [0x03, 0x02, .. random, 0x00, 0x00, 0x2f, 0x00];
        byte[] handshake = [0x02, 0x00, 0x00, (byte)body.Length, .. body];
        return [0x16, 0x03, 0x02, 0x00, (byte)handshake.Length, .. handshake];
    }

    /// <summary>A fatal protocol_version alert: a server refusing every version the client offers.</summary>
    public static byte[] ProtocolVersionAlert() => [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FakeTlsServer(byte[]? answer)
    {
        _listener.Start();
        _accepting = AcceptAsync(answer);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(byte[]? answer)
    {
        var served = new List<Task>();
        try
        {
            while (true) served.Add(ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token), answer));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { /* stopped */ }
        await Task.WhenAll(served);
    }

    private async Task ServeAsync(TcpClient client, byte[]? answer)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                byte[] buffer = new byte[16 * 1024];
                await stream.ReadAtLeastAsync(buffer, 5, throwOnEndOfStream: false, _stop.Token);
                if (answer is null)
                {
                    while (await stream.ReadAsync(buffer, _stop.Token) > 0) { }   // silent until the client hangs up
                    return;
                }
                if (answer.Length == 0) return;   // hang up at once
                await stream.WriteAsync(answer, _stop.Token);
                // Let the client's alert arrive and the client hang up first, as with a real server.
                using var linger = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                linger.CancelAfter(TimeSpan.FromSeconds(5));
                await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, linger.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException) { /* the client went away or we stop */ }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
