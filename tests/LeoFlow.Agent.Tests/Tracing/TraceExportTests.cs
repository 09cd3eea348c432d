using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using LeoFlow.Agent.Tests.Faults;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.Agent.Tracing.Otlp;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;
using OtlpSpan = LeoFlow.Agent.Tracing.Otlp.Span;
using SpanCode = LeoFlow.Agent.Tracing.Otlp.Status.Types.StatusCode;

namespace LeoFlow.Agent.Tests.Tracing;

/// <summary>
/// The executable's trace, end to end: the parent from TRACEPARENT, the traceparent of every call
/// the dev control plane received, the TRACEPARENT the task saw, the JSON diagnostics' ids, and
/// the spans an OTLP/gRPC collector stand-in received.
/// </summary>
public sealed class TraceExportTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ParentId = "00f067aa0ba902b7";
    private const string Parent = $"00-{TraceId}-{ParentId}-01";
    private const string Secret = "hunter2-not-for-traces";

    /// <summary>A task with an XCom input, a variable, a connection and a return value, that prints the trace context it got.</summary>
    private static ControlPlaneScript FullTask(string script = "")
    {
        var plan = Tasks.Bash(script + """echo "traceparent=$TRACEPARENT"; echo "tracestate=${TRACESTATE-unset}"; printf '{"n": 1}' > "$LEOFLOW_RETURN_VALUE_PATH" """);
        plan.Spec.DagId = "etl";
        plan.Spec.TaskId = "load";
        plan.Spec.RunId = "manual__2026-01-01";
        plan.Spec.TryNumber = 2;
        plan.Spec.XcomInputMapping["rows"] = "extract";
        plan.XComs["extract"] = "[1, 2, 3]"u8.ToArray();
        plan.Variables["db_password_var"] = Secret;
        plan.Connections["warehouse_conn"] = $"postgres://u:{Secret}@db/x";
        return plan;
    }

    private static Dictionary<string, string?> Environment(DevControlPlane plane, OtlpCollector? collector, string? traceparent = Parent)
    {
        var env = AgentProcess.EnvironmentFor(plane);
        if (traceparent is not null) env["TRACEPARENT"] = traceparent;
        if (collector is not null) env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint;
        return env;
    }

    private static OtlpSpan Named(IReadOnlyList<OtlpSpan> spans, string name) => Assert.Single(spans, s => s.Name == name);

    private static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    private static AnyValue? Attribute(OtlpSpan span, string key) => span.Attributes.SingleOrDefault(a => a.Key == key)?.Value;

    private static string? Text(OtlpSpan span, string key) => Attribute(span, key)?.StringValue;

    private static long? Number(OtlpSpan span, string key) => Attribute(span, key)?.IntValue;

    private static string TraceParentOf(OtlpSpan span) => $"00-{Hex(span.TraceId)}-{Hex(span.SpanId)}-01";

    private static JsonElement[] Diagnostics(BinaryRun run) =>
        run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    private static JsonElement[] Warnings(BinaryRun run) => Diagnostics(run).Where(d => d.GetProperty("level").GetString() == "WARN").ToArray();

    [Fact]
    public async Task OneTraceRunsFromTheParentThroughEveryCallIntoTheTask()
    {
        var script = FullTask();
        await using var plane = await DevControlPlane.StartAsync(script);
        await using var collector = await OtlpCollector.StartAsync();
        var env = Environment(plane, collector);
        env["TRACESTATE"] = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
        env["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=prod%2Ceu,team=data";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        var export = Assert.Single(collector.Exports.Requests).Request;
        var resource = Assert.Single(export.ResourceSpans).Resource.Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        Assert.Equal("leoflow-agent", resource["service.name"]);
        Assert.Equal("0.1.0", resource["service.version"]);
        Assert.Equal(System.Environment.MachineName, resource["host.name"]);
        Assert.Equal("prod,eu", resource["deployment.environment"]);
        Assert.Equal("data", resource["team"]);

        // The tree: agent.task under the incoming parent, every step under agent.task, one trace.
        var spans = collector.Spans;
        Assert.Equal(["agent.execute_user_code", "agent.fetch_xcom", "agent.get_connections", "agent.get_task_spec", "agent.get_variables",
            "agent.push_xcom", "agent.register", "agent.report_state", "agent.report_state", "agent.task"], spans.Select(s => s.Name).Order());
        var root = Named(spans, "agent.task");
        Assert.Equal(ParentId, Hex(root.ParentSpanId));
        Assert.All(spans, s => Assert.Equal(TraceId, Hex(s.TraceId)));
        Assert.All(spans, s => Assert.Equal("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", s.TraceState));
        Assert.All(spans.Where(s => s != root), s => Assert.Equal(root.SpanId, s.ParentSpanId));
        Assert.Equal(spans.Count, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.All(spans, s => Assert.True(s.EndTimeUnixNano >= s.StartTimeUnixNano && s.StartTimeUnixNano > 0, s.Name));
        Assert.All(spans, s => Assert.Null(s.Status));
        Assert.All(spans, s => Assert.Equal(s.Name is "agent.task" or "agent.execute_user_code" ? OtlpSpan.Types.SpanKind.Internal : OtlpSpan.Types.SpanKind.Client, s.Kind));

        // Attributes.
        Assert.Equal("etl", Text(root, "leoflow.dag_id"));
        Assert.Equal("load", Text(root, "leoflow.task_id"));
        Assert.Equal("manual__2026-01-01", Text(root, "leoflow.run_id"));
        Assert.Equal(2, Number(root, "leoflow.try_number"));
        Assert.Equal("ti-dev-1", Text(Named(spans, "agent.register"), "leoflow.session_id"));
        Assert.Equal("Register", Text(Named(spans, "agent.register"), "rpc.method"));
        Assert.Equal(0, Number(Named(spans, "agent.register"), "rpc.grpc.status_code"));
        var fetch = Named(spans, "agent.fetch_xcom");
        Assert.Equal("extract", Text(fetch, "leoflow.upstream_task_id"));
        Assert.Equal(9, Number(fetch, "leoflow.xcom.bytes"));
        Assert.Equal(1, Number(Named(spans, "agent.get_variables"), "leoflow.variables.count"));
        Assert.Equal(1, Number(Named(spans, "agent.get_connections"), "leoflow.connections.count"));
        var execute = Named(spans, "agent.execute_user_code");
        Assert.Equal(0, Number(execute, "process.exit.code"));
        Assert.Equal(2, Number(execute, "leoflow.lines.stdout"));
        Assert.Equal(0, Number(execute, "leoflow.lines.stderr"));
        Assert.True(Attribute(execute, "leoflow.duration_ms")!.DoubleValue > 0);
        var push = Named(spans, "agent.push_xcom");
        Assert.Equal(8, Number(push, "leoflow.xcom.bytes"));
        Assert.True(Attribute(push, "leoflow.xcom.accepted")!.BoolValue);
        Assert.Equal(["RUNNING", "SUCCESS"], spans.Where(s => s.Name == "agent.report_state").Select(s => Text(s, "leoflow.state")).Order());
        // Counts only: no secret's name or value anywhere in what was exported.
        string exported = export.ToByteString().ToStringUtf8();
        Assert.DoesNotContain(Secret, exported);
        Assert.DoesNotContain("db_password_var", exported);
        Assert.DoesNotContain("warehouse_conn", exported);

        // Every call named its span; StreamLogs and the heartbeats the root.
        var received = plane.Record.Headers.ToArray();
        Assert.All(received, h => Assert.Equal("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", h.TraceState));
        string traceparent(string call) => Assert.Single(received, h => h.Call == call).TraceParent!;
        Assert.Equal(TraceParentOf(root), traceparent("StreamLogs"));
        Assert.All(received.Where(h => h.Call == "Heartbeat"), h => Assert.Equal(TraceParentOf(root), h.TraceParent));
        Assert.Equal(TraceParentOf(Named(spans, "agent.register")), traceparent("Register"));
        Assert.Equal(TraceParentOf(Named(spans, "agent.get_task_spec")), traceparent("GetTaskSpec"));
        Assert.Equal(TraceParentOf(fetch), traceparent("FetchXCom"));
        Assert.Equal(TraceParentOf(Named(spans, "agent.get_variables")), traceparent("GetVariables"));
        Assert.Equal(TraceParentOf(Named(spans, "agent.get_connections")), traceparent("GetConnections"));
        Assert.Equal(TraceParentOf(push), traceparent("PushXCom"));
        var reports = spans.Where(s => s.Name == "agent.report_state").ToDictionary(s => Text(s, "leoflow.state")!);
        Assert.Equal(TraceParentOf(reports["RUNNING"]), traceparent("ReportState:RUNNING"));
        Assert.Equal(TraceParentOf(reports["SUCCESS"]), traceparent("ReportState:SUCCESS"));

        // The task continues the trace under agent.execute_user_code.
        Assert.Equal(["traceparent=" + TraceParentOf(execute), "tracestate=rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"], plane.Record.Messages("stdout"));

        // Every diagnostic names the trace, and the step it was written in.
        var diagnostics = Diagnostics(run);
        Assert.All(diagnostics, d => Assert.Equal(TraceId, d.GetProperty("trace_id").GetString()));
        Assert.All(diagnostics, d => Assert.Matches("^[0-9a-f]{16}$", d.GetProperty("span_id").GetString()));
        var registered = Assert.Single(diagnostics, d => d.GetProperty("msg").GetString()!.StartsWith("registered with the control plane", StringComparison.Ordinal));
        Assert.Equal(Hex(Named(spans, "agent.register").SpanId), registered.GetProperty("span_id").GetString());
        Assert.Contains(diagnostics, d => d.GetProperty("msg").GetString() == $"spans go to the OTLP/gRPC collector at {collector.Endpoint} after the final report (within 2 s)");
    }

    [Fact]
    public async Task AFailedStepIsAnErrorWithItsReasonAndTheTokenStaysOut()
    {
        var script = FullTask("exit 3; ");
        script.Token = "tok-SECRET-" + Guid.NewGuid().ToString("N")[..8];
        script.Before("GetVariables", (_, _) => throw new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, $"token {script.Token} may not read variables")));
        await using var plane = await DevControlPlane.StartAsync(script);
        await using var collector = await OtlpCollector.StartAsync();

        var run = await AgentProcess.RunAsync(Environment(plane, collector));

        Assert.True(run.ExitCode == 1, run.Stderr);
        var spans = collector.Spans;
        var variables = Named(spans, "agent.get_variables");
        Assert.Equal(SpanCode.Error, variables.Status.Code);
        Assert.Equal("PermissionDenied: token *** may not read variables", variables.Status.Message);
        Assert.Equal((long)StatusCode.PermissionDenied, Number(variables, "rpc.grpc.status_code"));
        var execute = Named(spans, "agent.execute_user_code");
        Assert.Equal(3, Number(execute, "process.exit.code"));
        Assert.Equal(SpanCode.Error, execute.Status.Code);
        Assert.Equal("task exited 3", execute.Status.Message);
        var root = Named(spans, "agent.task");
        Assert.Equal(SpanCode.Error, root.Status.Code);
        Assert.Equal("task exited non-zero", root.Status.Message);
        Assert.DoesNotContain(spans, s => s.Name == "agent.push_xcom");   // a failed task pushes nothing
        Assert.Null(Named(spans, "agent.get_connections").Status);
        Assert.DoesNotContain(script.Token, Assert.Single(collector.Exports.Requests).Request.ToByteString().ToStringUtf8());
    }

    [Fact]
    public async Task ARejectedReturnValueAndAKilledTaskAreTheirSpansErrors()
    {
        var script = FullTask();
        script.MaxXComBytes = 1;
        await using var plane = await DevControlPlane.StartAsync(script);
        await using var collector = await OtlpCollector.StartAsync();

        var run = await AgentProcess.RunAsync(Environment(plane, collector));

        Assert.True(run.ExitCode == 1, run.Stderr);
        var push = Named(collector.Spans, "agent.push_xcom");
        Assert.False(Attribute(push, "leoflow.xcom.accepted")!.BoolValue);
        Assert.Equal("payload_too_large", Text(push, "leoflow.xcom.rejection_reason"));
        Assert.Equal("control plane rejected return value: payload_too_large", push.Status.Message);
        Assert.Equal("control plane rejected return value: payload_too_large", Named(collector.Spans, "agent.task").Status.Message);
        Assert.Null(Named(collector.Spans, "agent.execute_user_code").Status);
    }

    [Fact]
    public async Task AKilledTaskNamesItsSignal()
    {
        await using var plane = await DevControlPlane.StartAsync(Tasks.Bash("kill -KILL $$"));
        await using var collector = await OtlpCollector.StartAsync();

        var run = await AgentProcess.RunAsync(Environment(plane, collector));

        Assert.True(run.ExitCode == 1, run.Stderr);
        var execute = Named(collector.Spans, "agent.execute_user_code");
        Assert.Equal(137, Number(execute, "process.exit.code"));
        Assert.Equal("SIGKILL", Text(execute, "leoflow.signal"));
        Assert.Equal("killed by SIGKILL", execute.Status.Message);
    }

    [Fact]
    public async Task AnUnsampledParentExportsNothingAndItsIdsStillPropagate()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync();

        var run = await AgentProcess.RunAsync(Environment(plane, collector, $"00-{TraceId}-{ParentId}-00"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Empty(collector.Exports.Requests);
        var received = plane.Record.Headers.ToArray();
        Assert.NotEmpty(received);
        Assert.All(received, h => Assert.Matches($"^00-{TraceId}-[0-9a-f]{{16}}-00$", h.TraceParent));
        Assert.All(received, h => Assert.Null(h.TraceState));
        string task = plane.Record.Messages("stdout")[0];
        Assert.Matches($"^traceparent=00-{TraceId}-[0-9a-f]{{16}}-00$", task);
        Assert.DoesNotContain(received, h => task.EndsWith(h.TraceParent!, StringComparison.Ordinal));   // the task's own span, not a call's
        Assert.Equal("tracestate=unset", plane.Record.Messages("stdout")[1]);
        Assert.All(Diagnostics(run), d => Assert.Equal(TraceId, d.GetProperty("trace_id").GetString()));
        Assert.Contains(Diagnostics(run), d => d.GetProperty("msg").GetString()!.StartsWith("the parent trace (TRACEPARENT) is not sampled", StringComparison.Ordinal));
        Assert.Empty(Warnings(run));
    }

    [Fact]
    public async Task WithoutAParentTheAgentStartsATraceAndWithoutAnEndpointExportsNothing()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());

        var run = await AgentProcess.RunAsync(Environment(plane, collector: null, traceparent: null));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var received = plane.Record.Headers.ToArray();
        string traceId = received[0].TraceParent!.Split('-')[1];
        Assert.NotEqual(TraceId, traceId);
        Assert.All(received, h => Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", h.TraceParent));
        Assert.Matches($"^traceparent=00-{traceId}-[0-9a-f]{{16}}-01$", plane.Record.Messages("stdout")[0]);
        Assert.All(Diagnostics(run), d => Assert.Equal(traceId, d.GetProperty("trace_id").GetString()));
        Assert.DoesNotContain("OTLP", run.Stderr);
        Assert.Empty(Warnings(run));
    }

    [Fact]
    public async Task AnInvalidParentIsSaidOnceAndTheInheritedContextDoesNotReachTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        var env = Environment(plane, collector: null, traceparent: Parent.ToUpperInvariant());
        env["TRACESTATE"] = "rojo=1";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var warning = Assert.Single(Warnings(run));
        Assert.Equal($"TRACEPARENT \"{Parent.ToUpperInvariant()}\" is not a W3C traceparent (not lowercase hex); the agent starts a new trace and ignores TRACESTATE",
            warning.GetProperty("msg").GetString());
        var received = plane.Record.Headers.ToArray();
        Assert.All(received, h => Assert.DoesNotContain(TraceId, h.TraceParent!, StringComparison.OrdinalIgnoreCase));
        Assert.All(received, h => Assert.Null(h.TraceState));
        Assert.DoesNotContain(TraceId, plane.Record.Messages("stdout")[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("tracestate=unset", plane.Record.Messages("stdout")[1]);   // the inherited one is not passed on
    }

    [Fact]
    public async Task AnUnreachableCollectorCostsOneWarningAndNotTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        var env = Environment(plane, collector: null);
        int port = Ports.Free();
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = $"http://127.0.0.1:{port}";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        var warning = Assert.Single(Warnings(run));
        Assert.Equal($"10 spans were not exported to the collector at http://127.0.0.1:{port}", warning.GetProperty("msg").GetString());
        Assert.StartsWith("could not connect to the collector", warning.GetProperty("error").GetString());
        Assert.DoesNotContain("_", warning.GetProperty("error").GetString());   // words, not a runtime resource key
    }

    [Fact]
    public async Task ACollectorThatNeverAnswersCostsOneWarningAndNotTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync(CollectorBehaviour.Hang);
        var env = Environment(plane, collector);
        env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000";   // capped at the agent's bound

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Single(collector.Exports.Requests);
        var warning = Assert.Single(Warnings(run));
        Assert.StartsWith("10 spans were not exported to the collector at ", warning.GetProperty("msg").GetString());
        Assert.Equal("no answer within 2 s (connection, TLS and export)", warning.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AListenerThatNeverSpeaksHttp2CostsOneWarningAndNotTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        using var silent = new SilentListener();
        var env = Environment(plane, collector: null);
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"127.0.0.1:{silent.Port}";
        env["OTEL_EXPORTER_OTLP_INSECURE"] = "true";
        env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "500";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var warning = Assert.Single(Warnings(run));
        Assert.Equal($"10 spans were not exported to the collector at http://127.0.0.1:{silent.Port}", warning.GetProperty("msg").GetString());
        Assert.Equal("no answer within 0.5 s (connection, TLS and export)", warning.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TheHeadersGoWithTheExportAndARefusalIsOneWarning()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync(CollectorBehaviour.Refuse);
        var env = Environment(plane, collector);
        env["OTEL_EXPORTER_OTLP_HEADERS"] = "ignored=1";
        env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = " API-Key = s3cr%3Dt , x-tenant=acme%20corp,";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var headers = Assert.Single(collector.Exports.Requests).Headers;
        Assert.Equal("s3cr=t", headers["api-key"]);
        Assert.Equal("acme corp", headers["x-tenant"]);
        Assert.False(headers.ContainsKey("ignored"));
        Assert.False(headers.ContainsKey("traceparent"));   // the export is not part of the task's trace
        var warning = Assert.Single(Warnings(run));
        Assert.Equal("the collector answered Unauthenticated: no such api key", warning.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ATlsCollectorIsTrustedThroughTheCertificateSettingAndOnlyThen()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.CreateCa("collector-ca");
        await using var collector = await OtlpCollector.StartAsync(certificate: TestCertificates.IssueServer(ca));
        Assert.StartsWith("https://", collector.Endpoint);
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        var env = Environment(plane, collector);

        var untrusted = await AgentProcess.RunAsync(env);

        Assert.True(untrusted.ExitCode == 0, untrusted.Stderr);
        Assert.Equal("the TLS connection to the collector could not be established", Assert.Single(Warnings(untrusted)).GetProperty("error").GetString());

        env["OTEL_EXPORTER_OTLP_CERTIFICATE"] = TestCertificates.WritePem(dir.Path, "ca.pem", ca);
        var trusted = await AgentProcess.RunAsync(env);

        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        Assert.Empty(Warnings(trusted));
        Assert.Equal(10, Assert.Single(collector.Exports.Requests).Request.ResourceSpans[0].ScopeSpans[0].Spans.Count);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "api-key", "OTEL_EXPORTER_OTLP_HEADERS is malformed (entry 1 is not key=value); spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "ok=1,bad key=x", "OTEL_EXPORTER_OTLP_HEADERS is malformed (entry 2: \"bad key\" cannot be a gRPC header name); spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \"http/protobuf\" is not supported: the agent exports OTLP over gRPC only; spans are not exported")]
    [InlineData("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem", "OTEL_EXPORTER_OTLP_CERTIFICATE \"/nonexistent/ca.pem\" does not exist; spans are not exported")]
    public async Task ASettingTheAgentCannotFollowIsOneWarningAndNoExport(string variable, string value, string warning)
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync();
        var env = Environment(plane, collector);
        // A certificate is read for a TLS endpoint only.
        if (variable == "OTEL_EXPORTER_OTLP_CERTIFICATE") env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.Replace("http://", "https://", StringComparison.Ordinal);
        env[variable] = value;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Equal(warning, Assert.Single(Warnings(run)).GetProperty("msg").GetString());
        Assert.Empty(collector.Exports.Requests);
        Assert.DoesNotContain("\"level\":\"ERROR\"", run.Stderr);
    }

    [Theory]
    [InlineData("OTEL_SDK_DISABLED", "true")]
    [InlineData("OTEL_TRACES_EXPORTER", "none")]
    public async Task ExportSwitchedOffSendsNothingAndSaysNothing(string variable, string value)
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync();
        var env = Environment(plane, collector);
        env[variable] = value;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Empty(collector.Exports.Requests);
        Assert.Empty(Warnings(run));
        Assert.All(plane.Record.Headers, h => Assert.Matches($"^00-{TraceId}-[0-9a-f]{{16}}-01$", h.TraceParent));   // propagation goes on
    }

    [Fact]
    public async Task OtelServiceNameNamesTheService()
    {
        await using var plane = await DevControlPlane.StartAsync(FullTask());
        await using var collector = await OtlpCollector.StartAsync();
        var env = Environment(plane, collector);
        env["OTEL_SERVICE_NAME"] = "agents-eu";
        env["OTEL_RESOURCE_ATTRIBUTES"] = "service.name=ignored,host.name=pod-7";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var resource = Assert.Single(collector.Exports.Requests).Request.ResourceSpans[0].Resource.Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        Assert.Equal("agents-eu", resource["service.name"]);
        Assert.Equal("pod-7", resource["host.name"]);
        Assert.Equal(3, resource.Count);   // service.name, host.name, then service.version; nothing twice
    }
}
