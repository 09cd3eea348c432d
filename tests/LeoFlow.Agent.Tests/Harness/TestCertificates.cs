using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>
/// Certificates made on the spot for TLS tests: CAs, server and client leaves they sign, with
/// chosen names and validity. ECDSA P-256 keys, which are quick to generate on a busy machine.
/// Every certificate returned has its private key and can be used by Kestrel or an SslStream.
/// </summary>
public static class TestCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A self-signed CA, valid from 30 days ago for a year (room for expired leaves).</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return Reload(request.CreateSelfSigned(now.AddDays(-30), now.AddYears(1)));
    }

    /// <summary>
    /// A server certificate signed by <paramref name="ca"/> for the given DNS names and IP
    /// addresses (default: localhost and 127.0.0.1), valid over [now+notBefore, now+notAfter]
    /// (default: from a day ago for a year).
    /// </summary>
    public static X509Certificate2 IssueServer(X509Certificate2 ca, string[]? names = null, TimeSpan? notBefore = null, TimeSpan? notAfter = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names ?? ["localhost", "127.0.0.1"])
        {
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        return Issue(ca, $"CN={(names ?? ["localhost"])[0]}", ServerAuth, san.Build(), notBefore, notAfter);
    }

    /// <summary>A client certificate signed by <paramref name="ca"/> (mutual TLS).</summary>
    public static X509Certificate2 IssueClient(X509Certificate2 ca, string name = "leoflow-agent") =>
        Issue(ca, $"CN={name}", ClientAuth, null, null, null);

    /// <summary>Writes certificates (no keys) as one PEM bundle and returns its path.</summary>
    public static string WritePem(string directory, string fileName, params X509Certificate2[] certificates)
    {
        string path = Path.Join(directory, fileName);
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));
        return path;
    }

    /// <summary>Writes the certificate's private key as PKCS#8 PEM and returns its path.</summary>
    public static string WriteKeyPem(string directory, string fileName, X509Certificate2 certificate)
    {
        string path = Path.Join(directory, fileName);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("not an ECDSA certificate with a key");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, Oid usage, X509Extension? san, TimeSpan? notBefore, TimeSpan? notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var now = DateTimeOffset.UtcNow;
        var from = now + (notBefore ?? TimeSpan.FromDays(-1));
        var to = now + (notAfter ?? TimeSpan.FromDays(365));
        // A certificate may not outlive its issuer: clamp rather than fail.
        if (to > ca.NotAfter) to = ca.NotAfter;
        if (from < ca.NotBefore) from = ca.NotBefore;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, from, to, serial);
        return Reload(issued.CopyWithPrivateKey(key));
    }

    /// <summary>
    /// Round-trips through PKCS#12: on Linux an ephemeral key is enough for signing here, but
    /// Kestrel and SslStream want a certificate whose key they can export into their own context.
    /// </summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate) return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
