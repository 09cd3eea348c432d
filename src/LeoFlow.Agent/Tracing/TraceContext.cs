namespace LeoFlow.Agent.Tracing;

/// <summary>
/// A W3C Trace Context (the traceparent and tracestate headers): the trace, the span that is the
/// parent, whether the trace is sampled, and the vendors' tracestate. Parsed as the W3C Trace
/// Context specification says, formatted as its version 00.
/// </summary>
public readonly struct TraceContext(ulong traceIdHigh, ulong traceIdLow, ulong spanId, bool sampled, string? traceState)
{
    /// <summary>"00-" + 32 + "-" + 16 + "-" + 2.</summary>
    public const int Length = 55;

    /// <summary>The most list members and characters a tracestate may have; beyond either it is dropped.</summary>
    public const int MaxTraceStateMembers = 32, MaxTraceStateLength = 512;

    public ulong TraceIdHigh { get; } = traceIdHigh;
    public ulong TraceIdLow { get; } = traceIdLow;
    public ulong SpanId { get; } = spanId;
    public bool Sampled { get; } = sampled;

    /// <summary>Well-formed, as received (null: none).</summary>
    public string? TraceState { get; } = traceState;

    /// <summary>
    /// The parent in the agent's environment (TRACEPARENT, TRACESTATE), or null when there is
    /// none or it is invalid: then the agent starts a new trace. What was invalid is said once,
    /// in <paramref name="warnings"/>; a bad tracestate alone is dropped and the parent kept.
    /// </summary>
    public static TraceContext? FromEnvironment(IReadOnlyDictionary<string, string> env, List<string> warnings)
    {
        string? parent = Get(env, "TRACEPARENT"), state = Get(env, "TRACESTATE");
        if (parent is null)
        {
            if (state is not null) warnings.Add("TRACESTATE is set without TRACEPARENT and is ignored; the agent starts a new trace");
            return null;
        }
        if (Parse(parent, out var context) is { } problem)
        {
            warnings.Add($"TRACEPARENT \"{Shorten(parent)}\" is not a W3C traceparent ({problem}); the agent starts a new trace"
                + (state is null ? "" : " and ignores TRACESTATE"));
            return null;
        }
        if (state is null) return context;
        if (CheckTraceState(state) is { } bad)
        {
            warnings.Add($"TRACESTATE is not a W3C tracestate ({bad}) and is dropped; the trace goes on from TRACEPARENT");
            return context;
        }
        return new TraceContext(context.TraceIdHigh, context.TraceIdLow, context.SpanId, context.Sampled, state.Trim(' ', '\t'));
    }

    /// <summary>Parses a traceparent header; returns why it is invalid, or null.</summary>
    public static string? Parse(string value, out TraceContext context)
    {
        context = default;
        var s = value.AsSpan().Trim(" \t");
        if (s.Length < Length || s[2] != '-' || s[35] != '-' || s[52] != '-')
            return "want version-traceid-parentid-flags, 2, 32, 16 and 2 lowercase hex digits";
        if (!TryHex(s[..2], out ulong version) || !TryHex(s[3..19], out ulong high) || !TryHex(s[19..35], out ulong low)
            || !TryHex(s[36..52], out ulong parent) || !TryHex(s[53..55], out ulong flags))
            return "not lowercase hex";
        if (version == 0xff) return "version ff is invalid";
        if (version == 0 && s.Length != Length) return "version 00 is exactly 55 characters";
        // A later version may append fields: its first 55 characters are read as version 00's.
        if (s.Length > Length && s[Length] != '-') return "a later version's fields follow a '-'";
        if (high == 0 && low == 0) return "the trace id is all zeros";
        if (parent == 0) return "the parent id is all zeros";
        context = new TraceContext(high, low, parent, (flags & 1) != 0, null);
        return null;
    }

    /// <summary>
    /// Checks a tracestate header: at most 32 list members (empty ones are allowed and not
    /// counted) and 512 characters, each member key=value with a key and a value of the W3C
    /// grammar, no key twice. Returns what is wrong, or null.
    /// </summary>
    public static string? CheckTraceState(string value)
    {
        if (value.Length > MaxTraceStateLength) return $"longer than {MaxTraceStateLength} characters";
        var keys = new List<string>();
        foreach (var entry in value.Split(','))
        {
            string member = entry.Trim(' ', '\t');
            if (member.Length == 0) continue;
            if (keys.Count == MaxTraceStateMembers) return $"more than {MaxTraceStateMembers} list members";
            int eq = member.IndexOf('=');
            if (eq < 0) return $"list member {keys.Count + 1} is not key=value";
            string key = member[..eq];
            if (!IsKey(key)) return $"list member {keys.Count + 1} has an invalid key";
            if (!IsValue(member.AsSpan(eq + 1))) return $"list member {keys.Count + 1} has an invalid value";
            if (keys.Contains(key)) return $"key \"{key}\" appears twice";
            keys.Add(key);
        }
        return null;
    }

    /// <summary>simple-key, or tenant-id@system-id (the W3C tracestate key grammar).</summary>
    private static bool IsKey(ReadOnlySpan<char> key)
    {
        int at = key.IndexOf('@');
        if (at < 0) return key.Length is >= 1 and <= 256 && char.IsAsciiLetterLower(key[0]) && KeyChars(key[1..]);
        var tenant = key[..at];
        var system = key[(at + 1)..];
        return tenant.Length is >= 1 and <= 241 && (char.IsAsciiLetterLower(tenant[0]) || char.IsAsciiDigit(tenant[0])) && KeyChars(tenant[1..])
            && system.Length is >= 1 and <= 14 && char.IsAsciiLetterLower(system[0]) && KeyChars(system[1..]);
    }

    private static bool KeyChars(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '*' or '/')) return false;
        return true;
    }

    /// <summary>1 to 256 printable ASCII characters but ',' and '=', not ending in a space.</summary>
    private static bool IsValue(ReadOnlySpan<char> s)
    {
        if (s.Length is 0 or > 256 || s[^1] == ' ') return false;
        foreach (char c in s)
            if (c is < ' ' or > '~' or ',' or '=') return false;
        return true;
    }

    private static bool TryHex(ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        foreach (char c in s)
        {
            int digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) return false;
            value = value << 4 | (uint)digit;
        }
        return true;
    }

    /// <summary>Lowercase hex, <paramref name="to"/>.Length digits of <paramref name="value"/>.</summary>
    internal static void WriteHex(Span<char> to, ulong value)
    {
        for (int i = to.Length - 1; i >= 0; i--, value >>= 4) to[i] = "0123456789abcdef"[(int)(value & 0xF)];
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..80] + "…" : s;

    private static string? Get(IReadOnlyDictionary<string, string> env, string name) =>
        env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}
