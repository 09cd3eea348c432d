using System.Collections;
using System.Runtime.InteropServices;
using LeoFlow.Agent;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Cli;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Output;
using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tracing;

// leoflow-agent: environment and arguments in, the wired lifecycle run once, an exit code out.
// Exit codes: 0 task succeeded; 1 task failed or the control plane could not be reached or
// refused the agent; 2 bad configuration or usage.
Spawner.EnsureStandardDescriptors();
return args switch
{
    [] => await RunAndFinishAsync(),
    ["--version" or "version"] => Commands.Version(json: false),
    ["version", "--json"] or ["--version", "--json"] => Commands.Version(json: true),
    ["--help" or "-h" or "help"] => Commands.Help(),
    ["install", var destination] => Commands.Install(destination),
    ["install"] => Commands.Usage("install needs a destination: leoflow-agent install DEST"),
    _ => Commands.Usage($"unexpected arguments: {string.Join(' ', args)}"),
};

// The agent's stdout and stderr never block it (a pipe nobody reads): what they could not take
// is said at the end, and the exit waits at most StandardStreams.ExitTimeout for them.
static async Task<int> RunAndFinishAsync()
{
    int code = await RunAgentAsync();
    StandardStreams.Finish(new JsonDiagnostics(StandardStreams.Stderr, new SecretRegistry()));
    return code;
}

static async Task<int> RunAgentAsync()
{
    var env = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
    var stderr = StandardStreams.Stderr;

    AgentConfig config;
    try { config = AgentConfig.FromEnvironment(env); }
    catch (ConfigurationException e)
    {
        var token = new SecretRegistry();
        token.AddToken(env.GetValueOrDefault("LEOFLOW_AGENT_TOKEN", "").Trim());
        var early = new JsonDiagnostics(stderr, token);
        early.Error("configuration error", e.Message);
        TerminationLog.FromEnvironment(env, new OutgoingText(token), early).Write("configuration error: " + e.Message);
        return 2;
    }
    // One registry for everything the agent writes: its tokens now, the task's secrets once fetched.
    var secrets = new SecretRegistry { MaskTaskSecrets = config.MaskSecrets };
    config.Channel.Token.MaskIn(secrets);
    var text = new OutgoingText(secrets);
    // The task's trace from here on: every diagnostic names it, every call carries its context.
    var trace = TaskTrace.Begin(config.Tracing.Parent, config.Tracing.Export is not null, text);
    var diagnostics = new JsonDiagnostics(stderr, secrets, trace);
    config.Channel.Token.WarnTo(diagnostics);
    var terminationLog = TerminationLog.FromEnvironment(env, text, diagnostics);
    diagnostics.Info($"control plane {config.Channel.Describe()}");
    foreach (var warning in config.Warnings) diagnostics.Warn(warning);
    if (config.Tracing.Describe() is { } export) diagnostics.Info(export);

    // Signals a supervisor sends (docs/protocol.md, "Heartbeats and termination"): none kills the
    // agent on the spot, whether it is PID 1 or runs under tini, dumb-init or a shell. SIGTERM,
    // SIGINT, SIGHUP and SIGQUIT are requests to stop: the task is stopped and FAILED reported.
    // SIGUSR1 and SIGUSR2 are meant for the task: passed on to its process group.
    using var termination = new Termination();
    var forwarder = new SignalForwarder();
    using var sigterm = OnSignal(PosixSignal.SIGTERM, () => termination.Request("terminated by SIGTERM"));
    using var sigint = OnSignal(PosixSignal.SIGINT, () => termination.Request("terminated by SIGINT"));
    using var sighup = OnSignal(PosixSignal.SIGHUP, () => termination.Request("terminated by SIGHUP"));
    using var sigquit = OnSignal(PosixSignal.SIGQUIT, () => termination.Request("terminated by SIGQUIT"));
    using var sigusr1 = OnSignal((PosixSignal)Native.SIGUSR1, () => Forward(forwarder, Native.SIGUSR1, diagnostics));
    using var sigusr2 = OnSignal((PosixSignal)Native.SIGUSR2, () => Forward(forwarder, Native.SIGUSR2, diagnostics));

    using var connection = AgentChannel.Dial(config.Channel);
    ReturnValueFile returnValue;
    try { returnValue = ReturnValueFile.Create(); }
    catch (IOException e)   // its message is the directory and the errno text ("/x: No such file or directory")
    {
        diagnostics.Error("cannot create the return-value directory under TMPDIR", e.Message);
        terminationLog.Write("cannot create the return-value directory under TMPDIR: " + e.Message);
        return 1;
    }
    using var returnValueCleanup = returnValue;
    string hostname = Hostname();
    var runner = new TaskRunner(
        connection.Client,
        new PosixCommandRunner(new ChildReaper(reapOrphans: true), config.GracePeriod, CgroupOomKills.ForCurrentProcess(), forwarder),
        new GrpcLogSink(connection, diagnostics, FallbackLogWriter.StandardOutput, span: trace.Root),
        returnValue,
        diagnostics,
        new TaskRunnerOptions { Version = Commands.AgentVersion, Hostname = hostname, Environment = env, Token = config.Channel.Token, Secrets = secrets },
        trace,
        // Nothing is built for export unless there is somewhere to send the spans, and they are recorded.
        config.Tracing.Export is { } otlp && trace.Recording ? new OtlpExporter(otlp, Commands.AgentVersion, hostname, diagnostics) : null);

    ChildReaper.BecomeSubreaper();
    TaskResult result;
    try { result = await runner.RunAsync(termination); }
    catch (Exception e)
    {
        // A defect, not an outcome: still one line (and the termination log), never a stack trace.
        result = TaskResult.Failure($"internal error: {e.GetType().Name}: {e.Message}");
    }
    if (!result.Succeeded)
    {
        diagnostics.Error("task failed", result.Error);
        terminationLog.Write(result.Error ?? "task failed");
    }
    return result.Succeeded ? 0 : 1;
}

// The signal's default action (ending the agent) is cancelled: the handler decides.
static PosixSignalRegistration OnSignal(PosixSignal signal, Action handle) =>
    PosixSignalRegistration.Create(signal, c => { c.Cancel = true; handle(); });

static void Forward(SignalForwarder forwarder, int signal, IDiagnostics diagnostics)
{
    if (!forwarder.Forward(signal)) diagnostics.Info($"{Native.SignalName(signal)} received while no task runs; ignored");
}

static string Hostname()
{
    try { return Environment.MachineName is { Length: > 0 } name ? name : "unknown"; }
    catch (InvalidOperationException) { return "unknown"; }
}
