using System.Security.Authentication;

namespace LeoFlow.ControlPlane;

/// <summary>
/// The TLS side of one call: its connection, the SNI name the client sent (null or empty for
/// none, as for an IP address), the protocol, the client certificate's subject (null for none).
/// </summary>
public sealed record TlsSession(string ConnectionId, string? ServerName, SslProtocols Protocol, string? ClientCertificateSubject);
