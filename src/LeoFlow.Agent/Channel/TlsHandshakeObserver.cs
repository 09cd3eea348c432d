using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The TLS handshake's callbacks. The server certificate check accepts exactly what the
/// platform's own check accepts (chain to the configured roots, validity dates, host name) and
/// nothing more, but when it refuses, it records why in a sentence, which a bare handshake
/// failure would not say. Without a client certificate of our own, it also notes whether the
/// server asked for one, which tells a mutual-TLS server apart when it hangs up on us.
/// </summary>
internal sealed class TlsHandshakeObserver(string host, bool customRoots)
{
    private volatile string? _failure;
    private volatile bool _clientCertificateRequested;
    private volatile bool _accepted;

    /// <summary>Why the last refused server certificate was refused; null after an accepted one.</summary>
    public string? LastCertificateFailure => _failure;

    /// <summary>A server certificate passed the check at least once: a handshake got that far.</summary>
    public bool ServerCertificateAccepted => _accepted;

    /// <summary>A server asked for a client certificate and got none (we have none configured).</summary>
    public bool ClientCertificateRequested => _clientCertificateRequested;

    public bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        _failure = errors == SslPolicyErrors.None ? null : Describe(errors, certificate, chain);
        if (errors == SslPolicyErrors.None) _accepted = true;
        return errors == SslPolicyErrors.None;
    }

    /// <summary>
    /// Used only when no client certificate is configured. SslStream calls it once before the
    /// handshake (no server certificate yet) and again when the server sends a certificate request.
    /// </summary>
    public X509Certificate? SelectNoClientCertificate(object sender, string targetHost, X509CertificateCollection local, X509Certificate? remote, string[] issuers)
    {
        if (remote is not null) _clientCertificateRequested = true;
        return null;
    }

    /// <summary>"TLS: server certificate for HOST ... (cause)", every cause found, most basic first.</summary>
    internal string Describe(SslPolicyErrors errors, X509Certificate? certificate, X509Chain? chain)
    {
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return $"TLS: the server at {host} sent no certificate";
        var causes = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors)) causes.AddRange(ChainCauses(chain));
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) causes.Add(NameMismatch(certificate));
        if (causes.Count == 0) causes.Add($"was refused ({errors})");
        return $"TLS: server certificate for {host} " + string.Join("; it ", causes);
    }

    private IEnumerable<string> ChainCauses(X509Chain? chain)
    {
        var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            yield return customRoots
                ? "is not trusted by LEOFLOW_AGENT_TLS_CA (unknown authority)"
                : "is not trusted by the system's root certificates (unknown authority); set LEOFLOW_AGENT_TLS_CA to the control plane's CA bundle";
        if (status.HasFlag(X509ChainStatusFlags.NotTimeValid) && chain is not null)
        {
            var elements = chain.ChainElements;
            for (int i = 0; i < elements.Count; i++)
                if (TimeCause(elements[i].Certificate, leaf: i == 0) is { } cause) yield return cause;
        }
        const X509ChainStatusFlags handled = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotTimeValid;
        if ((status & ~handled) != X509ChainStatusFlags.NoError && chain is not null)
        {
            var others = chain.ChainStatus.Where(s => (s.Status & handled) == 0).Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            yield return $"is refused: {string.Join(", ", others.DefaultIfEmpty((status & ~handled).ToString()))}";
        }
        if (status == X509ChainStatusFlags.NoError) yield return "has an invalid chain";
    }

    private static string? TimeCause(X509Certificate2 certificate, bool leaf)
    {
        var now = DateTime.Now;
        string which = leaf ? "" : $"(its issuer \"{certificate.Subject}\") ";
        if (certificate.NotAfter < now) return $"{which}expired at {Utc(certificate.NotAfter)} (expired)";
        if (certificate.NotBefore > now) return $"{which}is not valid before {Utc(certificate.NotBefore)} (not yet valid)";
        return null;
    }

    private static string Utc(DateTime local) => local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private static string NameMismatch(X509Certificate? certificate)
    {
        var names = new List<string>();
        if (certificate is not null)
        {
            using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            foreach (var san in cert.Extensions.OfType<X509SubjectAlternativeNameExtension>())
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
            if (names.Count == 0) names.Add(cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        }
        return names.Count == 0
            ? "does not name that host (name mismatch)"
            : $"is only valid for {string.Join(", ", names.Distinct())} (name mismatch)";
    }
}
