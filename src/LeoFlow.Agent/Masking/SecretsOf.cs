using System.Text;
using System.Text.Json;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;   // Key: where it came from, for a message (connection "db" password); Value: the secret

namespace LeoFlow.Agent.Masking;

/// <summary>
/// The secrets in the task's variables and connections, as Airflow's masker sees them (README,
/// "Secrets in the task log"): the value of a variable whose name is sensitive; a connection's
/// password, as delivered and percent-decoded; and in a connection's extra (its <c>__extra__</c>
/// JSON, its other query parameters, or the "extra" of the JSON form) and in a JSON variable, the
/// value of every key whose name is sensitive, with everything nested under it. A value inside
/// JSON is taken as decoded, as the JSON writes it (escaped) and, in a URI, as percent-encoded there.
/// </summary>
public static class SecretsOf
{
    /// <summary>Airflow's default sensitive names: a key containing one of them (any case) holds a secret.</summary>
    private const string SensitiveNames = "access_token api_key apikey authorization passphrase passwd password private_key secret token keyfile_dict service_account";

    public static bool IsSensitive(string key)
    {
        foreach (var name in SensitiveNames.Split(' '))
            if (key.Contains(name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The secrets of variable <paramref name="key"/> (AIRFLOW_VAR_&lt;KEY&gt;).</summary>
    public static List<Secret> Variable(string key, string value)
    {
        var secrets = new List<Secret>();
        string name = "variable \"" + key + "\"";
        bool sensitive = IsSensitive(key);
        if (sensitive) secrets.Add(new Secret(name, value));
        if (value.AsSpan().Trim() is ['{' or '[', .., '}' or ']']) Json(Encoding.UTF8.GetBytes(value), null, null, sensitive ? name : null, name, secrets);
        return secrets;
    }

    /// <summary>The secrets of connection <paramref name="id"/> (AIRFLOW_CONN_&lt;ID&gt;): an Airflow URI or its JSON form.</summary>
    public static List<Secret> Connection(string id, string value)
    {
        var secrets = new List<Secret>();
        string name = "connection \"" + id + "\"";
        if (value.AsSpan().TrimStart().StartsWith("{")) Json(Encoding.UTF8.GetBytes(value), null, null, null, name, secrets);
        else Uri(Encoding.UTF8.GetBytes(value), name, secrets);
        return secrets;
    }

    /// <summary>
    /// <c>scheme://login:password@host:port/schema?query</c>, read as Airflow reads it: the
    /// authority ends at the first '/', '?' or '#', the login at its last '@', the password
    /// starts after the login's first ':'. A password holding a raw '/' ends that authority early,
    /// so then the last '@' before the query is taken too: the value is still the password.
    /// </summary>
    private static void Uri(byte[] uri, string name, List<Secret> secrets)
    {
        var text = uri.AsSpan();
        int from = 0, schemes = 0;
        for (int i = 0; i + 2 < text.Length && schemes < 2; i++)
        {
            if (text[i] != (byte)':' || text[i + 1] != (byte)'/' || text[i + 2] != (byte)'/') continue;
            // The scheme's, then maybe a host's own protocol ("type://https://host": no '@' or ':' before it).
            if (schemes++ == 1 && text[from..i].IndexOfAny("@:"u8) >= 0) break;
            from = i + 3;
        }
        if (schemes == 0) return;
        var rest = text[from..];
        int queryStart = rest.IndexOfAny("?#"u8);
        var beforeQuery = queryStart < 0 ? rest : rest[..queryStart];
        int authorityEnd = rest.IndexOfAny("/?#"u8);
        int at = (authorityEnd < 0 ? rest : rest[..authorityEnd]).LastIndexOf((byte)'@');
        // A raw '/' in the password: then the login's ':' comes before any '/'.
        if (at < 0 && beforeQuery.LastIndexOf((byte)'@') is var later and >= 0 && rest[..later].IndexOfAny((byte)':', (byte)'/') is var c and >= 0 && rest[c] == ':') at = later;
        if (at >= 0 && rest[..at].IndexOf((byte)':') is var colon and >= 0)
            Delivered(rest[(colon + 1)..at], plus: false, name + " password", secrets);
        if (queryStart < 0 || rest[queryStart] != (byte)'?') return;

        // The query: __extra__ holds the extra as JSON; without it every parameter is an extra.
        var query = rest[(queryStart + 1)..];
        int fragment = query.IndexOf((byte)'#');
        if (fragment >= 0) query = query[..fragment];
        while (!query.IsEmpty)
        {
            int amp = query.IndexOf((byte)'&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? [] : query[(amp + 1)..];
            int eq = pair.IndexOf((byte)'=');
            if (eq < 0) continue;
            string key = Encoding.UTF8.GetString(PercentDecode(pair[..eq], plus: true, out _));
            var raw = pair[(eq + 1)..];
            if (key == "__extra__") Json(PercentDecode(raw, plus: true, out int[] map), raw.ToArray(), map, null, name + " extra", secrets);
            else if (IsSensitive(key)) Delivered(raw, plus: true, name + " extra \"" + key + "\"", secrets);
        }
    }

    /// <summary>A percent-encoded value: as delivered, and decoded.</summary>
    private static void Delivered(ReadOnlySpan<byte> raw, bool plus, string name, List<Secret> secrets)
    {
        if (raw.IsEmpty) return;
        secrets.Add(new Secret(name, Encoding.UTF8.GetString(raw)));
        string decoded = Encoding.UTF8.GetString(PercentDecode(raw, plus, out _));
        if (decoded != secrets[^1].Value) secrets.Add(new Secret(name, decoded));
    }

    /// <summary>
    /// Walks JSON <paramref name="json"/>: under a sensitive key (or everywhere, when
    /// <paramref name="sensitive"/> names the whole as one) every string and number is a secret,
    /// taken decoded and as the JSON spells it; a string elsewhere that holds JSON itself (the JSON
    /// form's "extra") is walked too. With <paramref name="encoded"/>, the JSON was percent-decoded
    /// from those bytes, <paramref name="map"/> saying where each byte came from, so a value is
    /// also taken as it is written there. JSON that does not parse to the end yields what was
    /// found before the break.
    /// </summary>
    private static void Json(byte[] json, byte[]? encoded, int[]? map, string? sensitive, string name, List<Secret> secrets)
    {
        var reader = new Utf8JsonReader(json);
        string? key = sensitive;   // the sensitive key the current value is under, if any
        int sensitiveDepth = -1;   // depth of the sensitive object or array being walked, if any
        string? pending = null;    // a sensitive property name whose value comes next
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token == JsonTokenType.PropertyName)
                {
                    string property = Text(ref reader);
                    pending = sensitiveDepth < 0 && sensitive is null && IsSensitive(property) ? name + " \"" + property + "\"" : null;
                    continue;
                }
                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray && sensitiveDepth < 0 && pending is not null)
                {
                    sensitiveDepth = reader.CurrentDepth;
                    key = pending;
                }
                else if (token is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == sensitiveDepth)
                {
                    sensitiveDepth = -1;
                    key = sensitive;
                }
                else if (token is JsonTokenType.String or JsonTokenType.Number)
                {
                    string value = Text(ref reader);
                    bool nested = value is ['{' or '[', .., '}' or ']'];
                    if ((pending ?? key) is { } owner)
                    {
                        var spelled = reader.ValueSpan;
                        secrets.Add(new Secret(owner, value));
                        if (reader.ValueIsEscaped) secrets.Add(new Secret(owner, Encoding.UTF8.GetString(spelled)));
                        if (encoded is not null)
                        {
                            int start = (int)reader.TokenStartIndex + (token == JsonTokenType.String ? 1 : 0);
                            var delivered = encoded.AsSpan(map![start], map[start + spelled.Length] - map[start]);
                            if (!delivered.SequenceEqual(spelled)) secrets.Add(new Secret(owner, Encoding.UTF8.GetString(delivered)));
                        }
                        // A JSON document in a sensitive string (a service account's key file): its values may be printed one by one.
                        if (nested) Json(Encoding.UTF8.GetBytes(value), null, null, owner, owner, secrets);
                    }
                    else if (nested && token == JsonTokenType.String) Json(Encoding.UTF8.GetBytes(value), null, null, null, name, secrets);
                }
                pending = null;
            }
        }
        catch (JsonException) { /* not JSON (any more): what was found stands */ }
    }

    /// <summary>The string or number at <paramref name="reader"/>, JSON's escapes undone (the reader has checked them).</summary>
    private static string Text(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped) return Encoding.UTF8.GetString(raw);
        var text = new StringBuilder(raw.Length);
        for (int slash; (slash = raw.IndexOf((byte)'\\')) >= 0;)
        {
            text.Append(Encoding.UTF8.GetString(raw[..slash]));
            byte escape = raw[slash + 1];
            text.Append(escape switch
            {
                (byte)'n' => '\n', (byte)'t' => '\t', (byte)'r' => '\r', (byte)'b' => '\b', (byte)'f' => '\f',
                (byte)'u' => (char)(Hex(raw[slash + 2]) << 12 | Hex(raw[slash + 3]) << 8 | Hex(raw[slash + 4]) << 4 | Hex(raw[slash + 5])),
                _ => (char)escape,   // " \\ /
            });
            raw = raw[(slash + (escape == (byte)'u' ? 6 : 2))..];
        }
        return text.Append(Encoding.UTF8.GetString(raw)).ToString();
    }

    /// <summary>
    /// Python's <c>unquote</c> (with <paramref name="plus"/>, <c>unquote_plus</c>): %XX is the byte
    /// XX, anything else stays. <paramref name="map"/>[i] is where decoded byte i starts in
    /// <paramref name="raw"/>, with one more entry for its end.
    /// </summary>
    internal static byte[] PercentDecode(ReadOnlySpan<byte> raw, bool plus, out int[] map)
    {
        var decoded = new byte[raw.Length];
        map = new int[raw.Length + 1];
        int n = 0;
        for (int i = 0; i < raw.Length; n++)
        {
            map[n] = i;
            if (raw[i] == (byte)'%' && i + 2 < raw.Length && char.IsAsciiHexDigit((char)raw[i + 1]) && char.IsAsciiHexDigit((char)raw[i + 2]))
            {
                decoded[n] = (byte)(Hex(raw[i + 1]) << 4 | Hex(raw[i + 2]));
                i += 3;
            }
            else
            {
                decoded[n] = plus && raw[i] == (byte)'+' ? (byte)' ' : raw[i];
                i++;
            }
        }
        map[n] = raw.Length;
        Array.Resize(ref decoded, n);
        return decoded;
    }

    private static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
