using System.Net.Http;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>A failed connection explained: one sentence, and whether another attempt could help.</summary>
internal sealed class TransportFailure(string reason, bool permanent)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;

    /// <summary>The status the call fails with: Unavailable, or Internal for an answer the agent cannot read.</summary>
    public Grpc.Core.StatusCode Code { get; init; } = Grpc.Core.StatusCode.Unavailable;

    /// <summary>
    /// What went wrong, if it is a failure this agent can name: a refused server certificate, a
    /// TLS handshake that failed for a known reason, or a server that hung up before answering
    /// HTTP/2 (on a channel that never worked: why, as far as can be told). Null: leave the
    /// transport's own description.
    /// </summary>
    /// <remarks>
    /// Classified by exception types, <see cref="HttpRequestError"/> and OpenSSL's own error
    /// strings, never by .NET's messages, which the Native AOT build replaces by resource keys.
    /// </remarks>
    public static TransportFailure? Explain(HttpRequestException e, Uri address, TlsHandshakeObserver? tls, X509Certificate2? clientCertificate, bool everAnswered)
    {
        string at = address.Authority;
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError && tls is not null)
            return tls.LastCertificateFailure is { } refused ? new(refused, true) : Handshake(e, at, tls, clientCertificate);
        // The server spoke HTTP/2 but its answer cannot be read: another attempt gets the same
        // answer, so it is Internal (not retried), as gRPC reads a malformed response.
        if (TransportWords.UnreadableAnswer(e))
            return new($"the control plane at {at} sent {TransportWords.UnreadableAnswerReason}", false) { Code = Grpc.Core.StatusCode.Internal };
        if (!HungUp(e)) return null;
        // Restarting, most likely. The bare "HTTP/2 connection could not be established" would
        // become Internal, which is not retried; the others are Unavailable already.
        if (everAnswered) return e.InnerException is null ? new($"the control plane at {at} hung up before answering", false) : null;
        if (tls is null)
            // Also what an L4 load balancer without backends does, so it stays retryable.
            return new($"the control plane at {at} hung up without answering HTTP/2; if it serves TLS, use https://{at} (or LEOFLOW_AGENT_INSECURE=false)", false);
        if (!tls.ServerCertificateAccepted) return null;
        // The server hung up after a handshake that went well from our side: with TLS 1.3 that is
        // how a server refuses a client certificate (its alert arrives after our Finished).
        if (clientCertificate is not null)
            return new($"TLS: the control plane at {at} hung up right after the TLS handshake; it probably refused the client certificate from LEOFLOW_AGENT_TLS_CERT ({Name(clientCertificate)})", true);
        if (tls.ClientCertificateRequested) return ClientCertificateRequired(at);
        return new($"TLS: the control plane at {at} hung up right after the TLS handshake, before answering HTTP/2", false);
    }

    /// <summary>
    /// The connection ended before any HTTP/2 answer (not a timeout, not a protocol error). An
    /// Unknown error without inner exception is what a request queued behind the failing first
    /// one gets ("the HTTP/2 connection could not be established").
    /// </summary>
    private static bool HungUp(HttpRequestException e) =>
        !Chain(e).Any(x => x is TimeoutException or OperationCanceledException)
        && (e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse
            || (e.HttpRequestError == HttpRequestError.Unknown
                && (e.InnerException is null || Chain(e).Skip(1).Any(x => x is IOException or ObjectDisposedException))));

    private static TransportFailure ClientCertificateRequired(string at) =>
        new($"TLS: the control plane at {at} requires a client certificate (mutual TLS); set LEOFLOW_AGENT_TLS_CERT and LEOFLOW_AGENT_TLS_KEY", true);

    private static TransportFailure Handshake(HttpRequestException e, string at, TlsHandshakeObserver tls, X509Certificate2? clientCertificate)
    {
        string openSsl = string.Join("\n", Chain(e).Skip(1).Select(x => x.Message)).ToLowerInvariant();
        if (Has(openSsl, "alert protocol version", "unsupported protocol", "no protocols available", "version too low"))
            return new($"TLS: the server at {at} only speaks a TLS version older than 1.2 (TLS version too old); the agent requires TLS 1.2 or newer", true);
        if (Has(openSsl, "wrong version number", "packet length too long"))
            return NotTls(at);
        if (Has(openSsl, "alert certificate required") || (clientCertificate is null && tls.ClientCertificateRequested))
            return ClientCertificateRequired(at);
        if (clientCertificate is not null && Alert(openSsl) is { } alert && (alert.Contains("certificate", StringComparison.Ordinal) || alert.Contains("unknown ca", StringComparison.Ordinal)))
            return new($"TLS: the control plane at {at} refused the client certificate from LEOFLOW_AGENT_TLS_CERT ({Name(clientCertificate)}): {alert}", true);
        var inner = e.InnerException;
        // SslStream's own check of the first record: what came back is not a TLS record at all.
        if (inner is AuthenticationException { InnerException: null }) return NotTls(at);
        if (Chain(e).Any(x => x is IOException) && inner is not AuthenticationException)
            return new($"TLS: the server at {at} closed the connection during the TLS handshake", false);
        return new($"TLS: handshake with {at} failed: {Innermost(e)}", Alert(openSsl) is not null);
    }

    private static TransportFailure NotTls(string at) =>
        new($"TLS: the server at {at} does not speak TLS (its answer to the handshake is not TLS); if it is plaintext, use http://{at}", true);

    /// <summary>"...:tlsv1 alert unknown ca" → "alert unknown ca": what the server said when it aborted.</summary>
    private static string? Alert(string openSsl)
    {
        int start = openSsl.IndexOf("alert ", StringComparison.Ordinal);
        if (start < 0) return null;
        int end = openSsl.IndexOf('\n', start);
        return (end < 0 ? openSsl[start..] : openSsl[start..end]).Trim();
    }

    private static bool Has(string text, params string[] parts) => parts.Any(p => text.Contains(p, StringComparison.Ordinal));

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static string Innermost(Exception e) => Chain(e).Last().Message;

    private static string Name(X509Certificate2 certificate) => $"{certificate.Subject}, issued by {certificate.Issuer}";
}
