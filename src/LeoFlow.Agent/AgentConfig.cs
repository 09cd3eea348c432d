using System.Globalization;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent;

/// <summary>The agent's configuration, read once from its environment and validated before any network call.</summary>
/// <param name="MaskSecrets">LEOFLOW_AGENT_MASK_SECRETS: mask the task's secrets in everything the agent ships or writes (the token is masked regardless).</param>
/// <param name="Warnings">Settings that are legal but probably not what was meant, for the agent to print at start.</param>
public sealed record AgentConfig(ChannelOptions Channel, TimeSpan GracePeriod, bool MaskSecrets, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// SIGTERM → SIGKILL wait for the task. Kubernetes gives the whole pod 30 s
    /// (terminationGracePeriodSeconds) before it kills the agent too; 10 s leaves the agent 20 s
    /// to deliver the log and the FAILED report.
    /// </summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>The incoming trace context and the span export (TRACEPARENT, OTEL_*); their problems are warnings.</summary>
    public TracingOptions Tracing { get; init; } = TracingOptions.None;

    /// <exception cref="ConfigurationException">Missing or malformed settings.</exception>
    public static AgentConfig FromEnvironment(IReadOnlyDictionary<string, string> env)
    {
        var warnings = new List<string>();
        string? insecure = Get(env, "LEOFLOW_AGENT_INSECURE");
        var address = ControlPlaneAddress.Parse(Get(env, "LEOFLOW_CONTROL_PLANE_ADDR") ?? "", insecure);
        var token = ReadToken(env);
        var channel = ReadTls(env, new ChannelOptions(address, token, null), warnings);
        if (!channel.UseTls && !ControlPlaneAddress.IsLoopback(address))
            warnings.Add($"the bearer token is sent in plaintext to {address.Authority}; use https:// or LEOFLOW_AGENT_INSECURE=false");
        if (insecure == "false" && !channel.UseTls)
            warnings.Add("LEOFLOW_AGENT_INSECURE=false is ignored: the address says http://");
        // Exactly true or false, unset is true; off is said once, the token being masked all the same.
        string? maskSetting = Get(env, "LEOFLOW_AGENT_MASK_SECRETS");
        if (maskSetting is not (null or "true" or "false"))
            throw new ConfigurationException($"LEOFLOW_AGENT_MASK_SECRETS \"{maskSetting}\" is invalid: want true or false");
        bool mask = maskSetting != "false";
        if (!mask) warnings.Add("LEOFLOW_AGENT_MASK_SECRETS=false: the task's secrets are not masked (the agent's token still is)");
        return new AgentConfig(channel, ReadGracePeriod(Get(env, "LEOFLOW_AGENT_GRACE_PERIOD")), mask, warnings)
        {
            Tracing = TracingOptions.FromEnvironment(env, warnings),
        };
    }

    /// <summary>LEOFLOW_AGENT_TLS_CA, _CERT and _KEY: loaded in TLS mode, ignored (with a warning) in plaintext.</summary>
    private static ChannelOptions ReadTls(IReadOnlyDictionary<string, string> env, ChannelOptions channel, List<string> warnings)
    {
        string? caFile = Get(env, "LEOFLOW_AGENT_TLS_CA"), certFile = Get(env, "LEOFLOW_AGENT_TLS_CERT"), keyFile = Get(env, "LEOFLOW_AGENT_TLS_KEY");
        if ((certFile is null) != (keyFile is null))
            throw new ConfigurationException(certFile is null
                ? "LEOFLOW_AGENT_TLS_KEY is set without LEOFLOW_AGENT_TLS_CERT: mutual TLS needs both"
                : "LEOFLOW_AGENT_TLS_CERT is set without LEOFLOW_AGENT_TLS_KEY: mutual TLS needs both");
        if (!channel.UseTls)
        {
            if (caFile is not null || certFile is not null)
                warnings.Add($"LEOFLOW_AGENT_TLS_* settings are ignored: the control plane address {channel.Address.Authority} is plaintext (use https:// or LEOFLOW_AGENT_INSECURE=false)");
            return channel;
        }
        var client = certFile is null ? null : TlsFiles.LoadClientCertificate(certFile, keyFile!);
        if (client is not null && (client[0].NotAfter < DateTime.Now || client[0].NotBefore > DateTime.Now))
            warnings.Add($"the client certificate in LEOFLOW_AGENT_TLS_CERT is outside its validity ({client[0].NotBefore.ToUniversalTime():u} to {client[0].NotAfter.ToUniversalTime():u}); the control plane will likely refuse it");
        return channel with
        {
            TrustedCas = caFile is null ? null : TlsFiles.LoadCaBundle(caFile),
            ClientCertificate = client,
        };
    }

    private static TokenSource ReadToken(IReadOnlyDictionary<string, string> env)
    {
        string? token = Get(env, "LEOFLOW_AGENT_TOKEN"), file = Get(env, "LEOFLOW_AGENT_TOKEN_FILE");
        if (token is not null && file is not null)
            throw new ConfigurationException("set LEOFLOW_AGENT_TOKEN or LEOFLOW_AGENT_TOKEN_FILE, not both");
        if (file is not null) return TokenSource.FromFile(file);
        if (token is null) throw new ConfigurationException("LEOFLOW_AGENT_TOKEN is empty: the agent needs its bearer token (or LEOFLOW_AGENT_TOKEN_FILE)");
        if (TokenSource.Check(token.Trim()) is { } problem) throw new ConfigurationException("LEOFLOW_AGENT_TOKEN " + problem);
        return TokenSource.Fixed(token.Trim());
    }

    /// <summary>Seconds ("20") or with a unit ("20s", "1m", "500ms").</summary>
    private static TimeSpan ReadGracePeriod(string? value)
    {
        if (value is null) return DefaultGracePeriod;
        (string number, double scale) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1)
            : value.EndsWith('m') ? (value[..^1], 60)
            : (value, 1);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || n < 0 || !double.IsFinite(n) || n * scale > 3600)
            throw new ConfigurationException($"LEOFLOW_AGENT_GRACE_PERIOD \"{value}\" is invalid: want seconds between 0 and 3600 (e.g. 10 or 10s)");
        return TimeSpan.FromSeconds(n * scale);
    }

    /// <summary>A set, non-blank value, or null.</summary>
    private static string? Get(IReadOnlyDictionary<string, string> env, string name) =>
        env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}
