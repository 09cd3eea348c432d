using System.Net;
using System.Net.Sockets;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>
/// A loopback port that accepts connections and never says a word: a hung process, a proxy whose
/// backend is gone. Only deadlines get an agent out of it.
/// </summary>
internal sealed class SilentListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public SilentListener()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_accepted) _accepted.Add(socket);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed: stop accepting.
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_accepted) foreach (var socket in _accepted) socket.Dispose();
    }
}
