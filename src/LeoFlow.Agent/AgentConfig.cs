using System.Globalization;
using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent;

/// <summary>The agent's configuration, read once from its environment and validated before any network call.</summary>
public sealed record AgentConfig(ChannelOptions Channel, TimeSpan GracePeriod)
{
    /// <summary>
    /// SIGTERM → SIGKILL wait for the task. Kubernetes gives the whole pod 30 s
    /// (terminationGracePeriodSeconds) before it kills the agent too; 10 s leaves the agent 20 s
    /// to deliver the log and the FAILED report.
    /// </summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <exception cref="ConfigurationException">Missing or malformed settings.</exception>
    public static AgentConfig FromEnvironment(IReadOnlyDictionary<string, string> env)
    {
        var address = ControlPlaneAddress.Parse(Get(env, "LEOFLOW_CONTROL_PLANE_ADDR") ?? "", Get(env, "LEOFLOW_AGENT_INSECURE"));
        var token = ReadToken(env);
        string? caFile = Get(env, "LEOFLOW_AGENT_TLS_CA");
        var cas = address.Scheme == Uri.UriSchemeHttps && caFile is not null ? AgentChannel.LoadCaBundle(caFile) : null;
        return new AgentConfig(new ChannelOptions(address, token, cas), ReadGracePeriod(Get(env, "LEOFLOW_AGENT_GRACE_PERIOD")));
    }

    private static TokenSource ReadToken(IReadOnlyDictionary<string, string> env)
    {
        string? token = Get(env, "LEOFLOW_AGENT_TOKEN"), file = Get(env, "LEOFLOW_AGENT_TOKEN_FILE");
        if (token is not null && file is not null)
            throw new ConfigurationException("set LEOFLOW_AGENT_TOKEN or LEOFLOW_AGENT_TOKEN_FILE, not both");
        if (file is not null) return TokenSource.FromFile(file);
        if (token is null) throw new ConfigurationException("LEOFLOW_AGENT_TOKEN is empty: the agent needs its bearer token");
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
