using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent.Tracing;

/// <summary>
/// Where and how the agent exports its spans: OTLP over gRPC, configured by the OpenTelemetry
/// SDK's standard variables (OTEL_EXPORTER_OTLP_*, the _TRACES_ form of each winning over the
/// general one). Tracing never fails the task, so nothing here is a configuration error: a
/// setting the agent cannot follow is one warning, and then nothing is exported rather than
/// something exported wrongly.
/// </summary>
/// <param name="Endpoint">http:// (plaintext) or https:// (TLS), scheme, host and port only.</param>
/// <param name="Headers">Sent with the export (OTEL_EXPORTER_OTLP_HEADERS), names lower-cased.</param>
/// <param name="Timeout">For the whole export: connection, TLS and answer; at most <see cref="Bound"/>.</param>
/// <param name="TrustedCas">TLS only: trusted instead of the system roots (OTEL_EXPORTER_OTLP_CERTIFICATE).</param>
/// <param name="Resource">service.name and OTEL_RESOURCE_ATTRIBUTES; the exporter adds service.version and host.name unless given.</param>
public sealed class OtlpSettings(Uri Endpoint, IReadOnlyDictionary<string, string> Headers, TimeSpan Timeout,
    X509Certificate2Collection? TrustedCas, IReadOnlyDictionary<string, string> Resource)
{
    public Uri Endpoint { get; } = Endpoint;
    public IReadOnlyDictionary<string, string> Headers { get; } = Headers;
    public TimeSpan Timeout { get; } = Timeout;
    public X509Certificate2Collection? TrustedCas { get; } = TrustedCas;
    public IReadOnlyDictionary<string, string> Resource { get; } = Resource;

    /// <summary>
    /// The longest the export may take, after the final report: 2 s. A larger OTLP timeout is
    /// capped to it, so an unreachable or silent collector costs the task at most this and a warning.
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    public const string DefaultServiceName = "leoflow-agent";

    /// <summary>The settings, or null when nothing is to be exported (no endpoint, disabled, or a setting it cannot follow).</summary>
    public static OtlpSettings? FromEnvironment(IReadOnlyDictionary<string, string> env, List<string> warnings)
    {
        if (Get(env, "OTEL_SDK_DISABLED") is { } disabled && disabled.Trim().Equals("true", StringComparison.OrdinalIgnoreCase)) return null;
        if (Get(env, "OTEL_TRACES_EXPORTER") is { } exporters && !WantsOtlp(exporters, warnings)) return null;
        var (endpointVariable, endpoint) = Setting(env, "ENDPOINT");
        if (endpoint is null) return null;
        const string NotExported = "; spans are not exported";

        var (protocolVariable, protocol) = Setting(env, "PROTOCOL");
        if (protocol is not null && protocol.Trim() != "grpc")
        {
            warnings.Add($"{protocolVariable} \"{protocol.Trim()}\" is not supported: the agent exports OTLP over gRPC only{NotExported}");
            return null;
        }
        if (Setting(env, "CLIENT_CERTIFICATE").Value is not null || Setting(env, "CLIENT_KEY").Value is not null)
        {
            warnings.Add($"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY (mutual TLS to the collector) are not supported{NotExported}");
            return null;
        }
        string? insecure = Setting(env, "INSECURE").Value;
        if (ParseEndpoint(endpoint.Trim(), insecure?.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) == true) is not { } address)
        {
            warnings.Add($"{endpointVariable} \"{endpoint}\" is not an endpoint: want http://host:port, https://host:port or host:port{NotExported}");
            return null;
        }
        var (headersVariable, headerList) = Setting(env, "HEADERS");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (headerList is not null && ParseList(headerList, headers, header: true) is { } badHeaders)
        {
            warnings.Add($"{headersVariable} is malformed ({badHeaders}){NotExported}");
            return null;
        }
        X509Certificate2Collection? cas = null;
        var (certificateVariable, certificate) = Setting(env, "CERTIFICATE");
        if (certificate is not null && address.Scheme == Uri.UriSchemeHttps)
        {
            try { cas = TlsFiles.LoadCaBundle(certificate, certificateVariable); }
            catch (ConfigurationException e)
            {
                warnings.Add(e.Message + NotExported);
                return null;
            }
        }
        else if (certificate is not null)
            warnings.Add($"{certificateVariable} is ignored: the collector endpoint {address.Authority} is plaintext");
        return new OtlpSettings(address, headers, ReadTimeout(env, warnings), cas, ReadResource(env, warnings));
    }

    /// <summary>"otlp" and "none" are known; another exporter is said once and not used.</summary>
    private static bool WantsOtlp(string list, List<string> warnings)
    {
        bool otlp = false;
        foreach (var entry in list.Split(','))
        {
            string name = entry.Trim();
            if (name == "otlp") otlp = true;
            else if (name is not ("none" or "")) warnings.Add($"OTEL_TRACES_EXPORTER \"{name}\" is not supported: the agent exports OTLP only");
        }
        return otlp;
    }

    /// <summary>
    /// gRPC's endpoint forms: a scheme decides TLS; without one (host:port) it is TLS unless
    /// OTEL_EXPORTER_OTLP_INSECURE is true. A path is not part of a gRPC endpoint and is left out.
    /// </summary>
    private static Uri? ParseEndpoint(string value, bool insecure)
    {
        string text = value.Contains("://", StringComparison.Ordinal) ? value : (insecure ? "http://" : "https://") + value;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || uri.UserInfo.Length > 0)
            return null;
        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    private static TimeSpan ReadTimeout(IReadOnlyDictionary<string, string> env, List<string> warnings)
    {
        var (variable, value) = Setting(env, "TIMEOUT");
        if (value is null) return Bound;
        if (!long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
        {
            warnings.Add($"{variable} \"{value}\" is not a number of milliseconds; the export waits at most {Bound.TotalSeconds:0} s");
            return Bound;
        }
        // 0 is "no timeout" to the SDKs: here the bound still holds.
        return ms == 0 || ms > Bound.TotalMilliseconds ? Bound : TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>OTEL_RESOURCE_ATTRIBUTES, with service.name from OTEL_SERVICE_NAME, else from them, else the default.</summary>
    private static Dictionary<string, string> ReadResource(IReadOnlyDictionary<string, string> env, List<string> warnings)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get(env, "OTEL_RESOURCE_ATTRIBUTES") is { } list && ParseList(list, attributes, header: false) is { } bad)
        {
            warnings.Add($"OTEL_RESOURCE_ATTRIBUTES is malformed ({bad}) and is ignored");
            attributes.Clear();
        }
        if (Get(env, "OTEL_SERVICE_NAME") is { } service) attributes["service.name"] = service.Trim();
        else attributes.TryAdd("service.name", DefaultServiceName);
        return attributes;
    }

    /// <summary>
    /// key=value,key2=value2 (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES): spaces around
    /// entries, keys and values trimmed, both percent-decoded; empty entries skipped; a later key
    /// wins. Header names must be gRPC metadata names (letters, digits, '-', '_', '.'; not -bin),
    /// values printable ASCII. Says what is wrong without quoting a value (a header may be a key).
    /// </summary>
    private static string? ParseList(string list, Dictionary<string, string> into, bool header)
    {
        int n = 0;
        foreach (var entry in list.Split(','))
        {
            n++;
            if (entry.Trim().Length == 0) continue;
            int eq = entry.IndexOf('=');
            if (eq < 0) return $"entry {n} is not key=value";
            string key = Uri.UnescapeDataString(entry[..eq].Trim()), value = Uri.UnescapeDataString(entry[(eq + 1)..].Trim());
            if (key.Length == 0) return $"entry {n} has no key";
            if (header)
            {
                key = key.ToLowerInvariant();
                if (!IsHeaderName(key)) return $"entry {n}: \"{key}\" cannot be a gRPC header name";
                if (!IsPrintable(value)) return $"entry {n} (\"{key}\"): the value is not printable ASCII";
            }
            into[key] = value;
        }
        return null;
    }

    private static bool IsHeaderName(string name)
    {
        foreach (char c in name)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.')) return false;
        return !name.EndsWith("-bin", StringComparison.Ordinal);
    }

    private static bool IsPrintable(string value)
    {
        foreach (char c in value)
            if (c is < ' ' or > '~') return false;
        return true;
    }

    /// <summary>OTEL_EXPORTER_OTLP_TRACES_{name}, else OTEL_EXPORTER_OTLP_{name}: the variable that was set and its value.</summary>
    private static (string Variable, string? Value) Setting(IReadOnlyDictionary<string, string> env, string name)
    {
        string traces = "OTEL_EXPORTER_OTLP_TRACES_" + name, general = "OTEL_EXPORTER_OTLP_" + name;
        return Get(env, traces) is { } specific ? (traces, specific) : (general, Get(env, general));
    }

    private static string? Get(IReadOnlyDictionary<string, string> env, string name) =>
        env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}
