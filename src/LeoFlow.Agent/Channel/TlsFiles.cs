using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LeoFlow.Agent.Channel;

/// <summary>Reads the PEM files of the TLS settings, each problem a <see cref="ConfigurationException"/> naming the variable.</summary>
public static class TlsFiles
{
    /// <summary>Loads a PEM CA bundle (one or more certificates) for LEOFLOW_AGENT_TLS_CA, or the <paramref name="variable"/> named.</summary>
    /// <exception cref="ConfigurationException">Missing, unreadable, not PEM, or no certificate in it.</exception>
    public static X509Certificate2Collection LoadCaBundle(string path, string variable = "LEOFLOW_AGENT_TLS_CA")
    {
        var bundle = ImportPem(variable, path);
        if (bundle.Count == 0) throw new ConfigurationException($"{variable} \"{path}\" holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks)");
        return bundle;
    }

    /// <summary>
    /// The client certificate for mutual TLS: the leaf (first certificate of <paramref name="certPath"/>)
    /// joined to the private key of <paramref name="keyPath"/>, then the file's other certificates
    /// as intermediates.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is missing or unreadable, not PEM, or the key does not match.</exception>
    public static X509Certificate2Collection LoadClientCertificate(string certPath, string keyPath)
    {
        var chain = ImportPem("LEOFLOW_AGENT_TLS_CERT", certPath);
        if (chain.Count == 0) throw new ConfigurationException($"LEOFLOW_AGENT_TLS_CERT \"{certPath}\" holds no PEM certificate");
        X509Certificate2 leaf;
        try
        {
            // On Linux SslStream hands this key to OpenSSL as it is: no PKCS#12 round trip to a
            // persisted key (which Windows needs), so no PKCS#12 code in the binary either.
            leaf = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"LEOFLOW_AGENT_TLS_KEY \"{keyPath}\" {FileErrors.Describe(e, keyPath)}");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)   // ArgumentException: no usable PEM key, or a mismatch
        {
            throw new ConfigurationException($"LEOFLOW_AGENT_TLS_KEY \"{keyPath}\" is not an unencrypted PEM private key matching the certificate in LEOFLOW_AGENT_TLS_CERT \"{certPath}\"");
        }
        var result = new X509Certificate2Collection(leaf);
        for (int i = 1; i < chain.Count; i++) result.Add(chain[i]);
        return result;
    }

    private static X509Certificate2Collection ImportPem(string variable, string path)
    {
        var certificates = new X509Certificate2Collection();
        try { certificates.ImportFromPemFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{variable} \"{path}\" {FileErrors.Describe(e, path)}");
        }
        catch (CryptographicException)
        {
            // Not e.Message: in the binary that is a resource key, not a sentence.
            throw new ConfigurationException($"{variable} \"{path}\" is not a valid PEM certificate file: a certificate block in it does not decode");
        }
        return certificates;
    }
}
