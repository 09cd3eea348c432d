namespace LeoFlow.Agent.Channel;

/// <summary>
/// LEOFLOW_CONTROL_PLANE_ADDR as a URI. <c>host:port</c> (grpc-go's form; <c>dns:///</c> prefix
/// allowed) is plaintext unless LEOFLOW_AGENT_INSECURE is exactly <c>false</c>, as with the old
/// agent; <c>http://host:port</c> and <c>https://host:port</c> say the transport themselves (there
/// the port may be left out: 80 and 443). Anything else is a <see cref="ConfigurationException"/>
/// at start, before any network call.
/// </summary>
public static class ControlPlaneAddress
{
    /// <exception cref="ConfigurationException">Not one of the accepted forms.</exception>
    public static Uri Parse(string address, string? insecureSetting)
    {
        string value = address.Trim();
        if (value.Length == 0) throw new ConfigurationException("LEOFLOW_CONTROL_PLANE_ADDR is empty: set it to host:port of the control plane");
        bool explicitScheme = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        string hostPort = value;
        if (!explicitScheme)
        {
            if (hostPort.StartsWith("dns:///", StringComparison.Ordinal)) hostPort = hostPort["dns:///".Length..];
            if (hostPort.Contains("://", StringComparison.Ordinal))
                throw Invalid(address, "unsupported scheme");
            value = (insecureSetting == "false" ? "https://" : "http://") + hostPort;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw Invalid(address, "not a host:port");
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            throw Invalid(address, "a path, query or user name is not allowed");
        if (!explicitScheme && uri.IsDefaultPort && !HasPort(hostPort))
            throw Invalid(address, "missing port");
        if (uri.Port == 0) throw Invalid(address, "port 0");
        return new UriBuilder(uri.Scheme, uri.Host, uri.Port).Uri;
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1, where plaintext never leaves the machine.</summary>
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.IdnHost, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    private static bool HasPort(string address)
    {
        int colon = address.LastIndexOf(':');
        return colon >= 0 && colon > address.LastIndexOf(']') && colon < address.Length - 1;
    }

    private static ConfigurationException Invalid(string address, string why) =>
        new($"LEOFLOW_CONTROL_PLANE_ADDR \"{address}\" is invalid ({why}): want host:port, http://host:port or https://host:port");
}
