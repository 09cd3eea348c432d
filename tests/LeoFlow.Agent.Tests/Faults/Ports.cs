using System.Net;
using System.Net.Sockets;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>Loopback addresses where no control plane answers.</summary>
internal static class Ports
{
    /// <summary>
    /// A port nothing listens on: bound to pick it, then closed, so connecting is refused until a
    /// test starts a control plane there.
    /// </summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Uri Http(int port) => new($"http://127.0.0.1:{port}");
}
