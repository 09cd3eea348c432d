using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Tests.Tracing;

/// <summary>The OTEL_* variables the agent reads, and what it says about those it cannot follow.</summary>
public sealed class OtlpSettingsTests
{
    private static (OtlpSettings? Settings, List<string> Warnings) Read(params (string Name, string Value)[] variables)
    {
        var warnings = new List<string>();
        var env = variables.ToDictionary(v => v.Name, v => v.Value);
        return (OtlpSettings.FromEnvironment(env, warnings), warnings);
    }

    [Fact]
    public void WithoutAnEndpointNothingIsExportedAndNothingSaid()
    {
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_HEADERS", "api-key=x"), ("OTEL_SERVICE_NAME", "svc"));
        Assert.Null(settings);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("http://collector:4317", null, "http://collector:4317/")]
    [InlineData("https://collector:4317/ignored/path", null, "https://collector:4317/")]
    [InlineData("collector:4317", null, "https://collector:4317/")]
    [InlineData("collector:4317", "true", "http://collector:4317/")]
    [InlineData("collector:4317", "false", "https://collector:4317/")]
    [InlineData("https://collector:4317", "true", "https://collector:4317/")]   // a scheme decides; INSECURE is for host:port
    [InlineData(" http://10.0.0.7:4317 ", null, "http://10.0.0.7:4317/")]
    public void TheEndpointsSchemeOrInsecureDecidesTls(string endpoint, string? insecure, string expected)
    {
        var variables = new List<(string, string)> { ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint) };
        if (insecure is not null) variables.Add(("OTEL_EXPORTER_OTLP_INSECURE", insecure));
        var (settings, warnings) = Read([.. variables]);

        Assert.Equal(expected, settings!.Endpoint.ToString());
        Assert.Empty(warnings);
    }

    [Fact]
    public void TheTracesVariablesWinOverTheGeneralOnes()
    {
        var (settings, _) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:1"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:2"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "900"), ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "300"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1"), ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"));

        Assert.Equal("http://traces:2/", settings!.Endpoint.ToString());
        Assert.Equal(TimeSpan.FromMilliseconds(300), settings.Timeout);
        Assert.Equal(["b"], settings.Headers.Keys);
    }

    [Theory]
    [InlineData("1500", 1500)]
    [InlineData("60000", 2000)]   // capped at the bound
    [InlineData("0", 2000)]       // no timeout is the bound too
    public void TheTimeoutIsCappedAtTheBound(string value, int expectedMs)
    {
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_EXPORTER_OTLP_TIMEOUT", value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), settings!.Timeout);
        Assert.Empty(warnings);
    }

    [Fact]
    public void ATimeoutThatIsNotMillisecondsIsAWarningAndTheBound()
    {
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"));
        Assert.Equal(OtlpSettings.Bound, settings!.Timeout);
        Assert.Equal("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT \"10s\" is not a number of milliseconds; the export waits at most 2 s", Assert.Single(warnings));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c:1", "OTEL_EXPORTER_OTLP_ENDPOINT \"ftp://c:1\" is not an endpoint: want http://host:port, https://host:port or host:port; spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL \"http/json\" is not supported: the agent exports OTLP over gRPC only; spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "x-token-bin=AAA", "OTEL_EXPORTER_OTLP_HEADERS is malformed (entry 1: \"x-token-bin\" cannot be a gRPC header name); spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "=x", "OTEL_EXPORTER_OTLP_HEADERS is malformed (entry 1 has no key); spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "k=line%0Abreak", "OTEL_EXPORTER_OTLP_HEADERS is malformed (entry 1 (\"k\"): the value is not printable ASCII); spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/k.pem", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY (mutual TLS to the collector) are not supported; spans are not exported")]
    public void ASettingItCannotFollowIsOneWarningAndNoExport(string name, string value, string warning)
    {
        var variables = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:1", [name] = value };
        var warnings = new List<string>();

        Assert.Null(OtlpSettings.FromEnvironment(variables, warnings));
        Assert.Equal(warning, Assert.Single(warnings));
    }

    [Fact]
    public void AHeaderValueNeverAppearsInAWarning()
    {
        var (_, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=very-secret\u0001"));
        Assert.DoesNotContain("very-secret", Assert.Single(warnings));
    }

    [Theory]
    [InlineData("none", false, null)]
    [InlineData("otlp", true, null)]
    [InlineData("zipkin", false, "OTEL_TRACES_EXPORTER \"zipkin\" is not supported: the agent exports OTLP only")]
    [InlineData("otlp,console", true, "OTEL_TRACES_EXPORTER \"console\" is not supported: the agent exports OTLP only")]
    public void OtelTracesExporterChoosesOtlpOrNothing(string value, bool exported, string? warning)
    {
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_TRACES_EXPORTER", value));
        Assert.Equal(exported, settings is not null);
        Assert.Equal(warning is null ? [] : [warning], warnings);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("TRUE")]
    public void OtelSdkDisabledExportsNothing(string value) =>
        Assert.Null(Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_SDK_DISABLED", value)).Settings);

    [Fact]
    public void ResourceAttributesArePercentDecodedAndOtelServiceNameWins()
    {
        var (settings, _) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes, k8s.pod.name=pod%2D1 ,note=a%2Cb%3Dc"));
        Assert.Equal("from-attributes", settings!.Resource["service.name"]);
        Assert.Equal("pod-1", settings.Resource["k8s.pod.name"]);
        Assert.Equal("a,b=c", settings.Resource["note"]);

        (settings, _) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_RESOURCE_ATTRIBUTES", "service.name=x"), ("OTEL_SERVICE_NAME", "y"));
        Assert.Equal("y", settings!.Resource["service.name"]);

        (settings, _) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"));
        Assert.Equal("leoflow-agent", settings!.Resource["service.name"]);
    }

    [Fact]
    public void MalformedResourceAttributesAreDroppedWholeWithAWarning()
    {
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1"), ("OTEL_RESOURCE_ATTRIBUTES", "team=data,broken"));
        Assert.Equal(["service.name"], settings!.Resource.Keys);
        Assert.Equal("OTEL_RESOURCE_ATTRIBUTES is malformed (entry 2 is not key=value) and is ignored", Assert.Single(warnings));
    }

    [Fact]
    public void ACertificateFileWithoutACertificateIsOneWarningNotAConfigurationError()
    {
        using var dir = new Harness.TempDirectory();
        string path = dir.WriteFile("ca.pem", "not a certificate");
        var (settings, warnings) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:1"), ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path));

        Assert.Null(settings);
        string warning = Assert.Single(warnings);
        Assert.Equal($"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE \"{path}\" holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks); spans are not exported", warning);
    }

    [Fact]
    public void TheStartUpLineSaysWhereSpansGoOrWhyNot()
    {
        var settings = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "collector.observability:4317")).Settings;
        Assert.Equal("spans go to the OTLP/gRPC collector at https://collector.observability:4317 after the final report (within 2 s)",
            new TracingOptions(null, settings).Describe());
        Assert.Null(new TracingOptions(null, null).Describe());
        Assert.Null(TraceContext.Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", out var unsampled));
        Assert.StartsWith("the parent trace (TRACEPARENT) is not sampled", new TracingOptions(unsampled, settings).Describe());
    }
}
