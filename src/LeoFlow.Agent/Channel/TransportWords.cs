using System.Net.Http;
using System.Net.Sockets;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// A transport failure in words. The Native AOT build is made with UseSystemResourceKeys, so the
/// runtime's own messages are bare resource keys ("net_http_client_execution_error"): the agent
/// names what happened from the exception's type and <see cref="HttpRequestError"/> instead. Only
/// the operating system's words (a socket error's strerror text) are kept.
/// </summary>
internal static class TransportWords
{
    public static string Describe(Exception e)
    {
        string what = e switch
        {
            HttpRequestException http => Describe(http),
            IOException or System.Net.Sockets.SocketException => "the connection to the control plane broke",
            ObjectDisposedException or InvalidOperationException => "the connection to the control plane was closed under the call",
            _ => "the call to the control plane failed",
        };
        return Socket(e) is { } socket ? $"{what} ({socket})" : what;
    }

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "the control plane's host name could not be resolved",
        HttpRequestError.ConnectionError => "could not connect to the control plane",
        HttpRequestError.SecureConnectionError => "the TLS connection to the control plane could not be established",
        HttpRequestError.HttpProtocolError => "the control plane broke the HTTP/2 protocol",
        HttpRequestError.ExtendedConnectNotSupported or HttpRequestError.VersionNegotiationError => "the control plane does not speak HTTP/2",
        HttpRequestError.UserAuthenticationError => "a proxy refused the agent's credentials",
        HttpRequestError.ProxyTunnelError => "the tunnel through the proxy to the control plane could not be established",
        HttpRequestError.InvalidResponse => "the control plane's answer is not valid HTTP/2",
        HttpRequestError.ResponseEnded => "the control plane ended its answer early",
        HttpRequestError.ConfigurationLimitExceeded => "the control plane's answer exceeds the agent's limits",
        _ when Chain(e).Skip(1).Any(x => x is IOException) => "the connection to the control plane broke",
        _ => "the call to the control plane failed",
    };

    /// <summary>
    /// The client refused what the server sent, though it was HTTP/2 (the connection was up): a
    /// header block that does not decode, or one over SocketsHttpHandler's 64 KiB default. The
    /// runtime tells the two apart only by internal types and resource keys, so one sentence says both.
    /// </summary>
    public static bool UnreadableAnswer(HttpRequestException e) =>
        Chain(e).Skip(1).Any(x => x is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse })
        || Chain(e).Skip(1).Any(x => x is IOException { InnerException: { } cause } && !IsTransport(cause));

    public const string UnreadableAnswerReason = "response headers the agent cannot read (malformed, or over its limit of 64 KiB)";

    /// <summary>What a broken or closed connection carries (anything else is the client refusing the answer).</summary>
    private static bool IsTransport(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or HttpRequestException or HttpProtocolException
            or TimeoutException or OperationCanceledException or System.Security.Authentication.AuthenticationException;

    private static string? Socket(Exception e) => Chain(e).OfType<SocketException>().FirstOrDefault()?.Message;

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }
}
