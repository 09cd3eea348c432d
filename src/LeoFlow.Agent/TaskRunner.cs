using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tracing;
using Leoflow.Agent.V1;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;   // Key: where it came from, for a message (connection "db" password); Value: the secret

namespace LeoFlow.Agent;

/// <summary>
/// The task lifecycle, top to bottom (docs/protocol.md, "A task's life, in order"): open the log
/// stream, register, fetch the spec, build the command and its environment, report RUNNING,
/// heartbeat, run, push the return value, report the end; then the trace goes out. Each step is a
/// span of the task's trace (<see cref="TaskTrace"/>), child of its root agent.task. Every side
/// effect is one of the collaborators given here.
/// </summary>
public sealed class TaskRunner
{
    private const string ReturnValueKey = "return_value";

    /// <summary>A timer's limit (about 49 days); a longer execution timeout is no timeout in practice.</summary>
    private const int MaxTimeoutSeconds = 4_000_000;

    /// <summary>
    /// The largest return value one PushXComRequest can carry within gRPC's default 4 MiB limit on
    /// a received message, which the control plane keeps: the message less its other fields and
    /// the value's own tag and length. The control plane's XCom limit is its to apply.
    /// </summary>
    internal static readonly int MaxReturnValueBytes = GrpcHttp.MaxMessageBytes
        - PushRequest(ByteString.Empty).CalculateSize() - 1 - CodedOutputStream.ComputeLengthSize(GrpcHttp.MaxMessageBytes);

    private readonly AgentService.AgentServiceClient _client;
    private readonly ICommandRunner _command;
    private readonly ILogSink _sink;
    private readonly ReturnValueFile _returnValue;
    private readonly IDiagnostics _diagnostics;
    private readonly TaskRunnerOptions _options;
    private readonly TaskLog _log;
    private readonly OutgoingText _text;
    private readonly TaskTrace _trace;
    private readonly ISpanExporter _exporter;

    /// <param name="trace">The task's trace, begun by the caller (the log sink names its root too); null: an unexported one.</param>
    /// <param name="exporter">Where the spans go at the end; null: nowhere.</param>
    public TaskRunner(AgentService.AgentServiceClient client, ICommandRunner command, ILogSink sink,
        ReturnValueFile returnValue, IDiagnostics diagnostics, TaskRunnerOptions options, TaskTrace? trace = null, ISpanExporter? exporter = null)
    {
        _client = client;
        _command = command;
        _sink = sink;
        _returnValue = returnValue;
        _diagnostics = diagnostics;
        _options = options;
        options.Token?.MaskIn(options.Secrets);
        _text = new OutgoingText(options.Secrets);
        _log = new TaskLog(sink, _text);
        _trace = trace ?? TaskTrace.Unexported();
        _exporter = exporter ?? NoSpanExport.Instance;
    }

    public async Task<TaskResult> RunAsync(Termination termination)
    {
        var result = await RunStepsAsync(termination);
        _trace.Finish(result.Error);                                        // 10. the trace, once the end is reported
        await _exporter.ExportAsync(_trace);
        return result;
    }

    private async Task<TaskResult> RunStepsAsync(Termination termination)
    {
        var calls = new ControlPlaneCalls(_diagnostics, _options.RpcTimeout, _options.BackoffUnit, _options.Token);
        if (await _sink.OpenAsync() is { } unreachable)                     // 1. the log stream, first
        {
            await _sink.CloseAsync(_options.LogDrainTimeout);
            return TaskResult.Failure(unreachable);
        }
        TaskSpec spec;
        try
        {
            await RegisterAsync(calls);                                     // 2. register
            spec = await GetSpecAsync(calls);                               // 3. the spec
        }
        catch (RpcException e)
        {
            await _sink.CloseAsync(_options.LogDrainTimeout);
            return TaskResult.Failure($"control plane unreachable or refused the agent: {ControlPlaneCalls.Describe(e)}");
        }
        try
        {
            var argv = TaskCommand.Build(spec.Operator, spec.Entrypoint, Env("LEOFLOW_PYTHON")); // 4. the command
            var environment = await BuildEnvironmentAsync(spec, calls);      // 5. its environment
            await ReportRunningAsync(calls, termination);                   // 6. RUNNING
            await using var heartbeat = Heartbeat.Start(_client, calls, _trace.Root, _options.HeartbeatInterval, termination, _diagnostics); // 7.
            var run = await ExecuteAsync(argv, environment, spec, termination); // 8. run it
            return await FinishAsync(run, calls);                           // 9. return value, log, final state
        }
        catch (TaskFailedException e)
        {
            return await FailAsync(e.Message, $"✗ task failed before start: {e.Message}", calls);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A defect, not an outcome: the control plane still hears FAILED, not the reaper's silence.
            string reason = $"internal error: {e.GetType().Name}: {e.Message}";
            return await FailAsync(reason, $"✗ task failed: {reason}", calls);
        }
    }

    private async Task RegisterAsync(ControlPlaneCalls calls)
    {
        using var span = _trace.StartClient("agent.register");
        var request = new RegisterRequest { AgentVersion = _options.Version, Hostname = _options.Hostname };
        var reply = await calls.CallAsync("Register", span, o => _client.RegisterAsync(request, o));
        span.Set("leoflow.session_id", reply.SessionId);
        _diagnostics.Info($"registered with the control plane (session {reply.SessionId})");
    }

    /// <summary>The spec; its identity fields name the task instance on the root span.</summary>
    private async Task<TaskSpec> GetSpecAsync(ControlPlaneCalls calls)
    {
        using var span = _trace.StartClient("agent.get_task_spec");
        var spec = await calls.CallAsync("GetTaskSpec", span, o => _client.GetTaskSpecAsync(new GetTaskSpecRequest(), o));
        span.Set("leoflow.operator", spec.Operator);
        _trace.Root.Set("leoflow.dag_id", spec.DagId).Set("leoflow.task_id", spec.TaskId).Set("leoflow.run_id", spec.RunId)
            .Set("leoflow.try_number", spec.TryNumber);
        return spec;
    }

    private async Task<TaskEnvironment> BuildEnvironmentAsync(TaskSpec spec, ControlPlaneCalls calls)
    {
        var env = new TaskEnvironment(_options.Environment);
        // Through a pipe Python block-buffers stdout: lines would arrive late, out of order with
        // stderr and stamped at exit. Unbuffered unless the image or the spec says otherwise.
        if (spec.Operator == "python" && env.Get("PYTHONUNBUFFERED") is null) env.Set("PYTHONUNBUFFERED", "1", "default");
        env.AddSpecEnvironment(spec.Environment);
        await AddXComInputsAsync(env, spec, calls);
        env.Set("LEOFLOW_RETURN_VALUE_PATH", _returnValue.Path, "return value path");
        if (spec.CallArgsJson.Length > 0) env.Set("LEOFLOW_CALL_ARGS_JSON", spec.CallArgsJson, "call args");
        var unmasked = new List<string>();
        await AddSecretsAsync(env, "variable", "AIRFLOW_VAR_", SecretsOf.Variable, unmasked, async span => (await calls.CallAsync("GetVariables", span,
            o => _client.GetVariablesAsync(new GetVariablesRequest(), o), RetryPolicy.TransportOnly)).Variables);
        await AddSecretsAsync(env, "connection", "AIRFLOW_CONN_", SecretsOf.Connection, unmasked, async span => (await calls.CallAsync("GetConnections", span,
            o => _client.GetConnectionsAsync(new GetConnectionsRequest(), o), RetryPolicy.TransportOnly)).ConnectionUris);
        if (unmasked.Count > 0) _diagnostics.Warn("not masked in the task's log: " + string.Join("; ", unmasked));
        return env;
    }

    private async Task AddXComInputsAsync(TaskEnvironment env, TaskSpec spec, ControlPlaneCalls calls)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (param, upstream) in spec.XcomInputMapping.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var span = _trace.StartClient("agent.fetch_xcom").Set("leoflow.upstream_task_id", upstream);
            FetchXComResponse reply;
            try
            {
                var request = new FetchXComRequest { UpstreamTaskId = upstream, Key = ReturnValueKey };
                reply = await calls.CallAsync("FetchXCom", span, o => _client.FetchXComAsync(request, o));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                _diagnostics.Info($"XCom input \"{param}\" from \"{upstream}\" has no value; leaving it unset");
                continue;
            }
            catch (RpcException e)
            {
                throw new TaskFailedException($"fetching XCom input \"{param}\" from \"{upstream}\": {ControlPlaneCalls.Describe(e)}");
            }
            span.Set("leoflow.xcom.bytes", (long)reply.Value.Length);
            var (name, value) = TaskEnvironment.XComEnvVar(param, reply.Value.Span);
            if (seen.TryGetValue(name, out var other))
                throw new TaskFailedException($"XCom inputs \"{other}\" and \"{param}\" both map to {name}");
            seen[name] = param;
            env.Set(name, value, "XCom input");
        }
    }

    /// <summary>
    /// Variables and connections are best effort: without them the task may still run. Their
    /// secrets are masked from the moment they arrive: before the task starts, and before any
    /// diagnostic could quote them (README, "Secrets in the task log"). Their span
    /// (agent.get_variables, agent.get_connections) counts them; names and values stay out of it.
    /// </summary>
    private async Task AddSecretsAsync(TaskEnvironment env, string what, string prefix, Func<string, string, List<Secret>> secretsOf,
        List<string> unmasked, Func<TraceSpan, Task<IDictionary<string, string>>> fetch)
    {
        using var span = _trace.StartClient(what == "variable" ? "agent.get_variables" : "agent.get_connections");
        IDictionary<string, string> entries;
        try { entries = await fetch(span); }
        catch (RpcException e)
        {
            _diagnostics.Warn($"{what}s unavailable; the task runs without them", ControlPlaneCalls.Describe(e));
            return;
        }
        span.Set(what == "variable" ? "leoflow.variables.count" : "leoflow.connections.count", (long)entries.Count);
        var secrets = new List<Secret>();
        foreach (var (key, value) in entries)
            foreach (var secret in secretsOf(key, value)) secrets.Add(secret);
        unmasked.AddRange(_options.Secrets.AddTaskSecrets(secrets));
        foreach (var (key, value) in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            env.Set(prefix + key.ToUpperInvariant(), value, what);
    }

    private async Task ReportRunningAsync(ControlPlaneCalls calls, Termination termination)
    {
        if (termination.Reason is { } early) throw new TaskFailedException(early);   // stopped while starting: never RUNNING
        ReportStateResponse reply;
        try { reply = await ReportAsync(calls, TaskState.Running, 0, ""); }
        catch (RpcException e) { throw new TaskFailedException($"reporting RUNNING: {ControlPlaneCalls.Describe(e)}"); }
        if (reply.ShouldTerminate) termination.Request("terminated by control plane");
        if (termination.Reason is { } reason) throw new TaskFailedException(reason);
    }

    private async Task<RunOutcome> ExecuteAsync(string[] argv, TaskEnvironment environment, TaskSpec spec, Termination termination)
    {
        using var span = _trace.Start("agent.execute_user_code");
        environment.SetTraceContext(span.TraceParent, _trace.TraceState);   // an instrumented task continues the trace here
        _log.Framing(LogLevel.Info, "▸ task started");
        int timeout = spec.ExecutionTimeoutSeconds;
        if (timeout is < 0 or > MaxTimeoutSeconds)   // 0 is the proto's "none"; anything else that cannot be a timer is said once
            _diagnostics.Warn($"execution_timeout_seconds {timeout} is {(timeout < 0 ? "negative" : $"over the agent's {MaxTimeoutSeconds} s maximum (a timer holds about 49 days)")}; the task runs without a timeout");
        using var timer = timeout is > 0 and <= MaxTimeoutSeconds
            ? new Timer(_ => termination.Request($"timed out after {timeout} s"), null, TimeSpan.FromSeconds(timeout), Timeout.InfiniteTimeSpan)
            : null;
        var clock = Stopwatch.StartNew();
        var exit = await _command.RunAsync(new ProcessSpec(argv, environment.ToEntries(), Env("PATH")), _log, termination.Token);
        var run = new RunOutcome(exit, clock.Elapsed, exit.Stopped ? termination.Reason : null);
        Record(span, run);
        return run;
    }

    /// <summary>How the task's process ended, on its span; a failure (non-zero exit included) is the span's error.</summary>
    private void Record(TraceSpan span, RunOutcome run)
    {
        span.Set("process.exit.code", (long)run.Exit.ExitCode)
            .Set("leoflow.lines.stdout", _log.StdoutLines).Set("leoflow.lines.stderr", _log.StderrLines)
            .Set("leoflow.duration_ms", run.Duration.TotalMilliseconds);
        if (run.Exit.Signal > 0) span.Set("leoflow.signal", Native.SignalName(run.Exit.Signal));
        if (run.TerminationReason is { } reason) span.Set("leoflow.termination_reason", reason);
        if (run.Exit.OomKills > 0) span.Set("leoflow.oom_kills", run.Exit.OomKills);
        if ((run.Failure ?? (run.Exit.ExitCode != 0 ? $"task exited {run.Exit.ExitCode}" : null)) is { } failure) span.Fail(failure);
    }

    private async Task<TaskResult> FinishAsync(RunOutcome run, ControlPlaneCalls calls)
    {
        string? failure = run.Failure;
        if (failure is null && run.Exit.ExitCode == 0)
        {
            try { await PushReturnValueAsync(calls); }
            catch (TaskFailedException e) { failure = e.Message; }
        }
        bool succeeded = failure is null && run.Exit.ExitCode == 0;
        string duration = GoDuration.Format(run.Duration);
        _log.MaskedCount();
        _log.Framing(succeeded ? LogLevel.Info : LogLevel.Error, succeeded
            ? $"✓ task succeeded in {duration}"
            : $"✗ task failed (exit {run.Exit.ExitCode}) in {duration}" + (failure is null ? "" : ": " + failure));
        await _sink.CloseAsync(_options.LogDrainTimeout);

        string message = succeeded ? "" : failure ?? "task exited non-zero";
        try
        {
            var reply = await ReportAsync(calls, succeeded ? TaskState.Success : TaskState.Failed, run.Exit.ExitCode, message);
            if (succeeded && reply.ShouldTerminate) return TaskResult.Failure("control plane answered the SUCCESS report with should_terminate");
        }
        catch (RpcException e)
        {
            return TaskResult.Failure($"reporting {(succeeded ? "SUCCESS" : "FAILED")}: {ControlPlaneCalls.Describe(e)}");
        }
        return succeeded ? TaskResult.Success : TaskResult.Failure(message);
    }

    private async Task PushReturnValueAsync(ControlPlaneCalls calls)
    {
        // Whatever the task wrote goes out: the verdict is the control plane's (accepted, rejection_reason).
        var value = _returnValue.Read(MaxReturnValueBytes);
        if (value is null) return;
        using var span = _trace.StartClient("agent.push_xcom").Set("leoflow.xcom.bytes", (long)value.Length);
        var request = PushRequest(UnsafeByteOperations.UnsafeWrap(value));
        PushXComResponse reply;
        try { reply = await calls.CallAsync("PushXCom", span, o => _client.PushXComAsync(request, o)); }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            _diagnostics.Warn("control plane does not implement XCom yet; dropping return value");
            return;
        }
        catch (RpcException e) { throw new TaskFailedException($"pushing return value: {ControlPlaneCalls.Describe(e)}"); }
        span.Set("leoflow.xcom.accepted", reply.Accepted);
        if (reply.Accepted) return;
        string rejected = $"control plane rejected return value: {reply.RejectionReason}";
        span.Set("leoflow.xcom.rejection_reason", reply.RejectionReason).Fail(rejected);
        throw new TaskFailedException(rejected);
    }

    private static PushXComRequest PushRequest(ByteString value) =>
        new() { Key = ReturnValueKey, Value = value, ContentType = "application/json" };

    /// <summary>The task did not run to an exit the normal path can report: say why in the log and to the control plane.</summary>
    private async Task<TaskResult> FailAsync(string reason, string framing, ControlPlaneCalls calls)
    {
        _log.Framing(LogLevel.Error, framing);
        await _sink.CloseAsync(_options.LogDrainTimeout);
        try { await ReportAsync(calls, TaskState.Failed, 0, reason); }
        catch (RpcException r) { _diagnostics.Error("reporting FAILED", ControlPlaneCalls.Describe(r)); }
        return TaskResult.Failure(reason);
    }

    private async Task<ReportStateResponse> ReportAsync(ControlPlaneCalls calls, TaskState state, int exitCode, string message)
    {
        using var span = _trace.StartClient("agent.report_state").Set("leoflow.state", StateName(state));
        var request = new ReportStateRequest
        {
            State = state,
            ExitCode = exitCode is >= 0 and <= 255 ? exitCode : 255,
            ErrorMessage = _text.Clean(message),   // a server's message may quote the token, or carry control bytes
            OccurredAt = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        var reply = await calls.CallAsync("ReportState", span, o => _client.ReportStateAsync(request, o));
        if (reply.ShouldTerminate) span.Set("leoflow.should_terminate", true);
        return reply;
    }

    private static string StateName(TaskState state) => state switch
    {
        TaskState.Running => "RUNNING",
        TaskState.Success => "SUCCESS",
        _ => "FAILED",
    };

    private string? Env(string name) => _options.Environment.GetValueOrDefault(name);

    /// <summary>The process's end and why the agent considers it failed (null: its exit code says).</summary>
    private sealed class RunOutcome(ProcessExit exit, TimeSpan duration, string? terminationReason)
    {
        public ProcessExit Exit { get; } = exit;
        public TimeSpan Duration { get; } = duration;
        public string? TerminationReason { get; } = terminationReason;

        public string? Failure =>
            Exit.StartError is { } start ? "running command: " + start
            : TerminationReason is { } reason ? reason + (Exit.Signal > 0 ? $" (killed by {Killer})" : "")
            : Exit.Signal > 0 ? "killed by " + Killer
            : Exit.ExitCode != 0 && Exit.OomKills > 0 ? "task exited non-zero after the OOM killer killed one of its processes"
            : null;

        /// <summary>
        /// A SIGKILL during a run in which the cgroup's OOM kill count grew came from the kernel
        /// (the pod's memory limit), not from a person: say so, as "killed by SIGKILL" alone would
        /// send the user looking for whoever stopped the task.
        /// </summary>
        private string Killer => Exit.Signal == Native.SIGKILL && Exit.OomKills > 0 ? "the OOM killer" : Native.SignalName(Exit.Signal);
    }
}
