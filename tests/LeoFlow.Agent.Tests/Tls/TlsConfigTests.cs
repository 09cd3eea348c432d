using System.Security.Cryptography.X509Certificates;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>The TLS settings are checked at start, each problem a configuration error naming the variable.</summary>
public sealed class TlsConfigTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private Dictionary<string, string> Env(params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = "https://cp.example:8443",
            ["LEOFLOW_AGENT_TOKEN"] = "test-token",
        };
        foreach (var (name, value) in extra) env[name] = value;
        return env;
    }

    private string File(string name, string content)
    {
        string path = Path.Join(_bed.Directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public static TheoryData<string, string> BadCaFiles => new()
    {
        { "missing", "does not exist" },
        { "directory", "is a directory, not a file" },
        { "empty", "holds no PEM certificate" },
        { "not PEM", "holds no PEM certificate" },
        { "key only", "holds no PEM certificate" },
        { "corrupt PEM", "is not a valid PEM certificate file" },
    };

    [Theory]
    [MemberData(nameof(BadCaFiles))]
    public void BadCaFileIsAConfigurationError(string kind, string expected)
    {
        string path = kind switch
        {
            "missing" => Path.Join(_bed.Directory, "absent.pem"),
            "directory" => _bed.Directory,
            "empty" => File("empty.pem", ""),
            "not PEM" => File("text.pem", "this is not a certificate\n"),
            "key only" => TestCertificates.WriteKeyPem(_bed.Directory, "key.pem", _bed.Server()),
            _ => File("corrupt.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"),
        };

        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TLS_CA", path))));

        Assert.StartsWith($"LEOFLOW_AGENT_TLS_CA \"{path}\"", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void CaBundleKeepsEveryCertificate()
    {
        string bundle = TestCertificates.WritePem(_bed.Directory, "two.pem", _bed.Ca, TestCertificates.CreateCa("Second"));

        var config = AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TLS_CA", bundle)));

        Assert.Equal(2, config.Channel.TrustedCas!.Count);
        Assert.Contains("trusting 2 CA certificate(s) from LEOFLOW_AGENT_TLS_CA", config.Channel.Describe());
    }

    [Theory]
    [InlineData("LEOFLOW_AGENT_TLS_CERT", "LEOFLOW_AGENT_TLS_CERT is set without LEOFLOW_AGENT_TLS_KEY")]
    [InlineData("LEOFLOW_AGENT_TLS_KEY", "LEOFLOW_AGENT_TLS_KEY is set without LEOFLOW_AGENT_TLS_CERT")]
    public void CertificateWithoutKeyOrKeyWithoutCertificateIsAConfigurationError(string only, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env((only, _bed.CaFile))));
        Assert.StartsWith(expected, e.Message);
    }

    [Theory]
    [InlineData("another certificate's key")]
    [InlineData("an encrypted key")]
    [InlineData("not PEM")]
    [InlineData("a certificate instead")]
    public void UnusableKeyIsAConfigurationError(string kind)
    {
        var client = TestCertificates.IssueClient(_bed.Ca);
        var settings = _bed.ClientCertificateSettings(client);
        string key = settings["LEOFLOW_AGENT_TLS_KEY"];
        switch (kind)
        {
            case "another certificate's key": TestCertificates.WriteKeyPem(_bed.Directory, "client.key", TestCertificates.IssueClient(_bed.Ca, "other")); break;
            case "an encrypted key":
                using (var ecdsa = client.GetECDsaPrivateKey()!)
                    System.IO.File.WriteAllText(key, ecdsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new System.Security.Cryptography.PbeParameters(
                        System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)));
                break;
            case "not PEM": System.IO.File.WriteAllText(key, "not a key"); break;
            default: TestCertificates.WritePem(_bed.Directory, "client.key", client); break;
        }

        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env([.. settings.Select(kv => (kv.Key, kv.Value))])));

        Assert.StartsWith($"LEOFLOW_AGENT_TLS_KEY \"{key}\" is not an unencrypted PEM private key matching", e.Message);
    }

    [Fact]
    public void MissingKeyFileIsAConfigurationError()
    {
        var settings = _bed.ClientCertificateSettings(TestCertificates.IssueClient(_bed.Ca));
        System.IO.File.Delete(settings["LEOFLOW_AGENT_TLS_KEY"]);

        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env([.. settings.Select(kv => (kv.Key, kv.Value))])));

        Assert.StartsWith($"LEOFLOW_AGENT_TLS_KEY \"{settings["LEOFLOW_AGENT_TLS_KEY"]}\" does not exist", e.Message);
    }

    [Fact]
    public void ClientCertificateIsLoadedWithItsKey()
    {
        var settings = _bed.ClientCertificateSettings(TestCertificates.IssueClient(_bed.Ca, "agent-1"));

        var config = AgentConfig.FromEnvironment(Env([.. settings.Select(kv => (kv.Key, kv.Value))]));

        var leaf = Assert.Single(config.Channel.ClientCertificate!);
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("CN=agent-1", leaf.Subject);
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void TlsSettingsOnAPlaintextAddressAreIgnoredWithAWarning()
    {
        var config = AgentConfig.FromEnvironment(Env(
            ("LEOFLOW_CONTROL_PLANE_ADDR", "127.0.0.1:50051"), ("LEOFLOW_AGENT_TLS_CA", Path.Join(_bed.Directory, "absent.pem"))));

        Assert.False(config.Channel.UseTls);
        Assert.Null(config.Channel.TrustedCas);
        Assert.Contains(config.Warnings, w => w.StartsWith("LEOFLOW_AGENT_TLS_* settings are ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void PlaintextTokenToARemoteHostIsWarnedAbout()
    {
        var remote = AgentConfig.FromEnvironment(Env(("LEOFLOW_CONTROL_PLANE_ADDR", "cp.example:50051")));
        var local = AgentConfig.FromEnvironment(Env(("LEOFLOW_CONTROL_PLANE_ADDR", "localhost:50051")));

        Assert.Contains(remote.Warnings, w => w.StartsWith("the bearer token is sent in plaintext to cp.example:50051", StringComparison.Ordinal));
        Assert.Empty(local.Warnings);
    }
}
