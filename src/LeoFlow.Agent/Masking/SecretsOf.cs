using System.Text;
using System.Text.Json;

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
    public static readonly IReadOnlyList<string> SensitiveNames =
    [
        "access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password",
        "private_key", "secret", "token", "keyfile_dict", "service_account",
    ];

    public static bool IsSensitive(string key)
    {
        foreach (var name in SensitiveNames)
            if (key.Contains(name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The secrets of variable <paramref name="key"/> (AIRFLOW_VAR_&lt;KEY&gt;).</summary>
    public static List<Secret> Variable(string key, string value)
    {
        var secrets = new List<Secret>();
        string name = $"variable \"{key}\"";
        bool sensitive = IsSensitive(key);
        if (sensitive) secrets.Add(new Secret(name, value));
        if (LooksLikeJson(value)) Json(Encoding.UTF8.GetBytes(value), null, sensitive ? name : null, name, secrets);
        return secrets;
    }

    /// <summary>The secrets of connection <paramref name="id"/> (AIRFLOW_CONN_&lt;ID&gt;): an Airflow URI or its JSON form.</summary>
    public static List<Secret> Connection(string id, string value)
    {
        var secrets = new List<Secret>();
        string name = $"connection \"{id}\"";
        if (value.AsSpan().TrimStart().StartsWith("{")) Json(Encoding.UTF8.GetBytes(value), null, null, name, secrets);
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
        int scheme = text.IndexOf("://"u8);
        if (scheme < 0) return;
        int from = scheme + 3;
        // "type://https://host": a host with its own protocol; Airflow allows no '@' or ':' before it.
        int second = text[from..].IndexOf("://"u8);
        if (second >= 0 && text[from..(from + second)].IndexOfAny("@:"u8) < 0) from += second + 3;
        var rest = text[from..];
        int queryStart = rest.IndexOfAny("?#"u8);
        var beforeQuery = queryStart < 0 ? rest : rest[..queryStart];
        int authorityEnd = rest.IndexOfAny("/?#"u8);
        int at = (authorityEnd < 0 ? rest : rest[..authorityEnd]).LastIndexOf((byte)'@');
        if (at < 0 && beforeQuery.LastIndexOf((byte)'@') is var later and >= 0 && IsUserinfo(rest[..later])) at = later;
        if (at >= 0 && rest[..at].IndexOf((byte)':') is var colon and >= 0)
            Delivered(rest[(colon + 1)..at], plus: false, $"{name} password", secrets);
        if (queryStart >= 0 && rest[queryStart] == (byte)'?') Query(rest[(queryStart + 1)..], name, secrets);
    }

    /// <summary>A login and password with a raw '/' in the password: the ':' comes before any '/'.</summary>
    private static bool IsUserinfo(ReadOnlySpan<byte> userinfo)
    {
        int colon = userinfo.IndexOf((byte)':');
        return colon >= 0 && userinfo[..colon].IndexOf((byte)'/') < 0;
    }

    /// <summary>The query: <c>__extra__</c> holds the extra as JSON; without it every parameter is an extra.</summary>
    private static void Query(ReadOnlySpan<byte> query, string name, List<Secret> secrets)
    {
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
            if (key == "__extra__")
            {
                byte[] json = PercentDecode(raw, plus: true, out int[] map);
                Json(json, (raw.ToArray(), map), null, $"{name} extra", secrets);
            }
            else if (IsSensitive(key)) Delivered(raw, plus: true, $"{name} extra \"{key}\"", secrets);
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
    /// <paramref name="sensitive"/> names the whole as one) every string and number is a secret; a
    /// string elsewhere that holds JSON itself (the JSON form's "extra") is walked too. With
    /// <paramref name="encoded"/>, the JSON was percent-decoded from those bytes, mapped byte by
    /// byte, so a value is also taken as it is written there. JSON that does not parse to the end
    /// yields what was found before.
    /// </summary>
    private static void Json(byte[] json, (byte[] Raw, int[] Map)? encoded, string? sensitive, string name, List<Secret> secrets)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        string? key = sensitive;   // the sensitive key the current value is under, if any
        int sensitiveDepth = -1;   // depth of the sensitive object or array being walked, if any
        string? pending = null;    // a sensitive property name whose value comes next
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        string property = reader.GetString()!;
                        pending = sensitiveDepth < 0 && sensitive is null && IsSensitive(property) ? $"{name} \"{property}\"" : null;
                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (sensitiveDepth < 0 && sensitive is null && pending is not null)
                        {
                            sensitiveDepth = reader.CurrentDepth;
                            key = pending;
                        }
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        if (reader.CurrentDepth == sensitiveDepth)
                        {
                            sensitiveDepth = -1;
                            key = sensitive;
                        }
                        break;
                    case JsonTokenType.String or JsonTokenType.Number:
                        string? owner = pending ?? key;
                        if (owner is not null) Leaf(ref reader, encoded, owner, secrets);
                        else if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } inner && LooksLikeJson(inner))
                            Json(Encoding.UTF8.GetBytes(inner), null, null, name, secrets);
                        break;
                }
                pending = null;
            }
        }
        catch (JsonException) { /* not JSON (any more): what was found stands */ }
        catch (InvalidOperationException) { /* a string that is not valid UTF-8 */ }
    }

    /// <summary>A scalar under a sensitive key: its value, and how the JSON (and the URI around it) spell it.</summary>
    private static void Leaf(ref Utf8JsonReader reader, (byte[] Raw, int[] Map)? encoded, string name, List<Secret> secrets)
    {
        var spelled = reader.ValueSpan;
        string value = reader.TokenType == JsonTokenType.String ? reader.GetString()! : Encoding.UTF8.GetString(spelled);
        secrets.Add(new Secret(name, value));
        if (reader.ValueIsEscaped) secrets.Add(new Secret(name, Encoding.UTF8.GetString(spelled)));
        if (encoded is var (raw, map))
        {
            int start = (int)reader.TokenStartIndex + (reader.TokenType == JsonTokenType.String ? 1 : 0);
            var delivered = raw.AsSpan(map[start], map[start + spelled.Length] - map[start]);
            if (!delivered.SequenceEqual(spelled)) secrets.Add(new Secret(name, Encoding.UTF8.GetString(delivered)));
        }
        // A JSON document in a sensitive string (a service account's key file): its values are printed one by one.
        if (reader.TokenType == JsonTokenType.String && LooksLikeJson(value)) Json(Encoding.UTF8.GetBytes(value), null, name, name, secrets);
    }

    private static bool LooksLikeJson(string value)
    {
        var trimmed = value.AsSpan().Trim();
        return trimmed.Length >= 2 && (trimmed[0] == '{' && trimmed[^1] == '}' || trimmed[0] == '[' && trimmed[^1] == ']');
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
            if (raw[i] == (byte)'%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
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

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
