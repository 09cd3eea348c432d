using System.Security.Cryptography.X509Certificates;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>
/// A temporary directory with a test CA and the PEM files the TLS settings point at, and an
/// in-process run configured from environment variables exactly as the executable is.
/// </summary>
public sealed class TlsTestBed : IDisposable
{
    public TlsTestBed()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("leoflow-tls-").FullName;
        Ca = TestCertificates.CreateCa("LeoFlow Test CA");
        CaFile = TestCertificates.WritePem(Directory, "ca.pem", Ca);
    }

    public string Directory { get; }
    public X509Certificate2 Ca { get; }

    /// <summary>PEM file holding <see cref="Ca"/>.</summary>
    public string CaFile { get; }

    /// <summary>A server certificate for localhost and 127.0.0.1 signed by <see cref="Ca"/>.</summary>
    public X509Certificate2 Server() => TestCertificates.IssueServer(Ca);

    /// <summary>Writes a client certificate and its key as PEM; returns the settings that present it.</summary>
    public Dictionary<string, string> ClientCertificateSettings(X509Certificate2 client) => new()
    {
        ["LEOFLOW_AGENT_TLS_CERT"] = TestCertificates.WritePem(Directory, "client.pem", client),
        ["LEOFLOW_AGENT_TLS_KEY"] = TestCertificates.WriteKeyPem(Directory, "client.key", client),
    };

    /// <summary>The agent's settings for <paramref name="plane"/> over https://, trusting <see cref="CaFile"/>.</summary>
    public Dictionary<string, string> Settings(DevControlPlane plane, string host = "127.0.0.1") => new()
    {
        ["LEOFLOW_CONTROL_PLANE_ADDR"] = $"https://{host}:{plane.Port}",
        ["LEOFLOW_AGENT_TOKEN"] = plane.Script.Token,
        ["LEOFLOW_AGENT_TLS_CA"] = CaFile,
    };

    /// <summary>Runs the agent in-process, its channel configured by <see cref="AgentConfig.FromEnvironment"/> from <paramref name="settings"/>.</summary>
    public static Task<InProcessRun> RunAsync(DevControlPlane plane, IReadOnlyDictionary<string, string> settings)
    {
        var config = AgentConfig.FromEnvironment(settings);
        return InProcessAgent.RunAsync(plane, s => s.Channel = config.Channel);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a leftover temp directory is harmless */ }
    }
}
