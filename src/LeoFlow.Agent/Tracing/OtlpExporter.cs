using System.Buffers.Binary;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tracing.Otlp;
using SpanStatus = LeoFlow.Agent.Tracing.Otlp.Status;

namespace LeoFlow.Agent.Tracing;

/// <summary>
/// Sends the trace as one OTLP/gRPC <c>TraceService/Export</c> call after the final report, on a
/// channel of its own (its own SocketsHttpHandler, built only then), within the settings'
/// timeout (at most <see cref="OtlpSettings.Bound"/>) for connection, TLS and answer together.
/// Whatever goes wrong (no collector, a silent one, a refusal) is one warning: the task's result
/// is already reported and stands.
/// </summary>
public sealed class OtlpExporter(OtlpSettings settings, string serviceVersion, string hostName, IDiagnostics diagnostics) : ISpanExporter
{
    public const string ScopeName = "leoflow-agent";

    /// <summary>Past the timeout, the longest the agent waits for the call to give up before it walks away from it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(250);

    public async Task ExportAsync(TaskTrace trace)
    {
        var spans = trace.Ended;
        if (spans.Count == 0) return;
        using var cancel = new CancellationTokenSource(settings.Timeout);
        using var channel = GrpcChannel.ForAddress(settings.Endpoint, new GrpcChannelOptions
        {
            HttpHandler = new Opaque(Sockets()),
            DisposeHttpClient = true,
            ServiceConfig = null,
            CompressionProviders = [],
        });
        var headers = new Metadata();
        foreach (var (name, value) in settings.Headers) headers.Add(name, value);
        try
        {
            using var call = new TraceService.TraceServiceClient(channel)
                .ExportAsync(Request(trace, spans), new CallOptions(headers, DateTime.UtcNow + settings.Timeout, cancel.Token));
            // The deadline and the cancellation end the call; the wait is there should anything not heed them.
            await call.ResponseAsync.WaitAsync(settings.Timeout + Grace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or TimeoutException or HttpRequestException or IOException)
        {
            diagnostics.Warn($"{spans.Count} spans were not exported to the collector at {settings.Endpoint.GetLeftPart(UriPartial.Authority)}", Describe(e));
        }
    }

    /// <summary>The trace's spans under one resource and one instrumentation scope.</summary>
    public ExportTraceServiceRequest Request(TaskTrace trace, IReadOnlyList<TraceSpan> spans)
    {
        var resource = new Resource();
        foreach (var (key, value) in settings.Resource) resource.Attributes.Add(Attribute(key, value));
        if (!settings.Resource.ContainsKey("service.version")) resource.Attributes.Add(Attribute("service.version", serviceVersion));
        if (!settings.Resource.ContainsKey("host.name")) resource.Attributes.Add(Attribute("host.name", hostName));

        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = ScopeName, Version = serviceVersion } };
        var traceId = Id(trace.TraceIdHigh, trace.TraceIdLow);
        foreach (var s in spans)
        {
            var span = new Span
            {
                TraceId = traceId,
                SpanId = Id(s.SpanId),
                TraceState = trace.TraceState ?? "",
                ParentSpanId = s.ParentSpanId == 0 ? ByteString.Empty : Id(s.ParentSpanId),
                Name = s.Name,
                Kind = s.Kind,
                StartTimeUnixNano = (ulong)s.StartUnixNano,
                EndTimeUnixNano = (ulong)s.EndUnixNano,
                Flags = trace.Sampled ? 1u : 0u,
                Status = s.Error is null ? null : new SpanStatus { Code = SpanStatus.Types.StatusCode.Error, Message = s.Error },
            };
            if (s.Attributes is { } attributes) span.Attributes.Add(attributes);
            scope.Spans.Add(span);
        }
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }

    private SocketsHttpHandler Sockets() => new()
    {
        ConnectTimeout = settings.Timeout,
        SslOptions = settings.Endpoint.Scheme != Uri.UriSchemeHttps ? new SslClientAuthenticationOptions() : new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = settings.TrustedCas is null ? null : AgentChannel.CustomRootPolicy(settings.TrustedCas),
        },
    };

    private string NoAnswer => $"no answer within {settings.Timeout.TotalSeconds:0.###} s (connection, TLS and export)";

    /// <summary>In words: the runtime's own messages are resource keys in the binary (see TransportWords).</summary>
    private string Describe(Exception e)
    {
        for (Exception? x = e is RpcException { Status.DebugException: { } debug } ? debug : e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException http)
            {
                string what = http.HttpRequestError switch
                {
                    HttpRequestError.NameResolutionError => "the collector's host name could not be resolved",
                    HttpRequestError.ConnectionError => "could not connect to the collector",
                    HttpRequestError.SecureConnectionError => "the TLS connection to the collector could not be established",
                    HttpRequestError.VersionNegotiationError or HttpRequestError.ExtendedConnectNotSupported => "the collector does not speak HTTP/2",
                    _ => "the connection to the collector failed",
                };
                for (Exception? inner = http; inner is not null; inner = inner.InnerException)
                    if (inner is System.Net.Sockets.SocketException socket) return $"{what} ({socket.Message})";
                return what;
            }
            if (x is OperationCanceledException or TimeoutException) return NoAnswer;
        }
        return e is RpcException rpc && rpc.StatusCode is not (StatusCode.DeadlineExceeded or StatusCode.Cancelled)
            ? "the collector answered " + GrpcHttp.Describe(rpc.Status)
            : NoAnswer;
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ByteString Id(ulong id)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static ByteString Id(ulong high, ulong low)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), low);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>
    /// Hides the SocketsHttpHandler from Grpc.Net.Client, as the control plane's channel does
    /// (AgentHttpHandler): the one call needs none of the library's connection management.
    /// </summary>
    private sealed class Opaque(HttpMessageHandler transport) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _transport = new(transport, disposeHandler: true);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _transport.SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _transport.Dispose();
            base.Dispose(disposing);
        }
    }
}
