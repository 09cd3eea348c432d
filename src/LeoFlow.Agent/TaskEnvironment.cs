using System.Text;

namespace LeoFlow.Agent;

/// <summary>
/// The task process's environment, built in the old agent's order with "last one wins": the
/// agent's own environment minus its credentials, the spec's env (sorted), XCom inputs, the
/// return-value path, call args, then variables and connections. Every entry the task brings (spec,
/// XCom, secrets) is checked before the spawn so that an impossible one fails the task with a
/// sentence rather than an E2BIG; the agent's own entries came from the kernel and are valid.
/// </summary>
public sealed class TaskEnvironment
{
    /// <summary>Linux's MAX_ARG_STRLEN: one "NAME=value" string, with its NUL, may not be longer.</summary>
    public const int MaxEntryBytes = 128 * 1024;

    /// <summary>
    /// Never passed to the task: the agent's own credentials, and the control plane's secrets that
    /// a subprocess executor hands down with its whole environment: with them user code could act
    /// as the task towards the control plane, or mint tokens and open its database (docs/protocol.md,
    /// "The task's environment").
    /// </summary>
    public static readonly IReadOnlySet<string> Scrubbed = new HashSet<string>(StringComparer.Ordinal)
    {
        "LEOFLOW_AGENT_TOKEN", "LEOFLOW_AGENT_TOKEN_FILE", "LEOFLOW_AGENT_TLS_KEY",
        "LEOFLOW_AUTH_JWT_SECRET", "LEOFLOW_SECRET_KEY", "LEOFLOW_DATABASE_URL",
    };

    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public TaskEnvironment(IEnumerable<KeyValuePair<string, string>> agentEnvironment)
    {
        foreach (var (name, value) in agentEnvironment)
            if (!Scrubbed.Contains(name)) Put(name, value);
    }

    /// <summary>The spec's environment, applied in byte order of the keys.</summary>
    public void AddSpecEnvironment(IEnumerable<KeyValuePair<string, string>> spec)
    {
        foreach (var (name, value) in spec.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Set(name, value, "task environment variable");
    }

    /// <summary>Sets one variable; <paramref name="what"/> names its origin in an error.</summary>
    /// <exception cref="TaskFailedException">The entry cannot be an environment string.</exception>
    public void Set(string name, string value, string what)
    {
        if (name.Length == 0 || name.Contains('=') || name.Contains('\0'))
            throw new TaskFailedException($"{what} {Quote(name)} cannot be an environment variable name (empty, '=' or NUL)");
        if (value.Contains('\0'))
            throw new TaskFailedException($"{what} {Quote(name)} has a NUL byte in its value");
        int bytes = Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value) + 1;
        if (bytes > MaxEntryBytes)
            throw new TaskFailedException($"{what} {Quote(name)} is {bytes} bytes, over Linux's {MaxEntryBytes}-byte limit for one environment variable");
        Put(name, value);
    }

    /// <summary>
    /// The trace context the task continues (W3C Trace Context): TRACEPARENT, and TRACESTATE when
    /// there is one. Set last, so it replaces the one the agent inherited or the spec set; an
    /// inherited TRACESTATE goes when the agent has none (it would belong to another parent).
    /// </summary>
    public void SetTraceContext(string traceparent, string? tracestate)
    {
        Put("TRACEPARENT", traceparent);
        if (tracestate is not null) Put("TRACESTATE", tracestate);
        else if (_entries.Remove("TRACESTATE")) _order.Remove("TRACESTATE");
    }

    /// <summary>The variable that carries XCom input <paramref name="param"/> to the task.</summary>
    public static KeyValuePair<string, string> XComEnvVar(string param, ReadOnlySpan<byte> json) =>
        new("LEOFLOW_XCOM_" + param.ToUpperInvariant(), Encoding.UTF8.GetString(json));

    public string? Get(string name) => _entries.GetValueOrDefault(name);

    /// <summary>The entries as NAME=value strings, in first-set order.</summary>
    public IReadOnlyList<string> ToEntries() => _order.Select(n => n + "=" + _entries[n]).ToArray();

    private void Put(string name, string value)
    {
        if (!_entries.ContainsKey(name)) _order.Add(name);
        _entries[name] = value;
    }

    private static string Quote(string s) => "\"" + (s.Length > 64 ? s[..64] + "…" : s).Replace("\0", "\\0") + "\"";
}
