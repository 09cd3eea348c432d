using System.Collections;
using System.Text;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Process;
using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>What one in-process agent run left behind.</summary>
public sealed record InProcessRun(TaskResult Result, ControlPlaneRecord Record, string FallbackOutput, string Diagnostics);

/// <summary>Knobs of an in-process run; defaults are the binary's except where a test would wait.</summary>
public sealed class RunSetup
{
    public Dictionary<string, string> Environment { get; } = CurrentEnvironment();
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan BackoffUnit { get; set; } = TimeSpan.FromMilliseconds(20);
    public TimeSpan RpcTimeout { get; set; } = TaskRunnerOptions.DefaultRpcTimeout;
    public TimeSpan StallTimeout { get; set; } = new LogSinkOptions().StallTimeout;
    public TimeSpan DrainStallTimeout { get; set; } = new LogSinkOptions().DrainStallTimeout;
    public TimeSpan? LogDrainTimeout { get; set; }
    public Termination Termination { get; } = new();

    /// <summary>How to dial the control plane (TLS settings, token file); null: plaintext or TLS as the plane is, fixed token.</summary>
    public ChannelOptions? Channel { get; set; }

    /// <summary>The bearer token the agent sends (null: the control plane's own).</summary>
    public string? Token { get; set; }

    /// <summary>Sees each diagnostic as the agent writes it (to synchronise on what the agent is doing).</summary>
    public Action<DiagnosticLevel, string>? OnDiagnostic { get; set; }

    private static Dictionary<string, string> CurrentEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        env["LEOFLOW_PYTHON"] = "python3";
        env["PYTHONPATH"] = Repo.PythonDir;
        return env;
    }
}

/// <summary>Runs <see cref="TaskRunner"/> in the test process against a real control plane on loopback.</summary>
public static class InProcessAgent
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static async Task<InProcessRun> RunAsync(DevControlPlane plane, Action<RunSetup>? configure = null)
    {
        var address = new Uri((plane.UsesTls ? "https://" : "http://") + plane.Address);
        var run = await RunAsync(address, plane.Script.Token, configure);
        return new InProcessRun(run.Result, plane.Record, run.FallbackOutput, run.Diagnostics);
    }

    /// <summary>Runs against <paramref name="address"/>, where a control plane may not listen (yet, or any more).</summary>
    public static async Task<AgentRun> RunAsync(Uri address, string token, Action<RunSetup>? configure = null)
    {
        var setup = new RunSetup();
        configure?.Invoke(setup);
        var fallback = new MemoryStream();
        var diagnosticsOut = new MemoryStream();
        var channel = setup.Channel ?? new ChannelOptions(address, TokenSource.Fixed(setup.Token ?? token), null);
        var secrets = new SecretRegistry();
        secrets.AddToken(token);
        channel.Token.MaskIn(secrets);
        var diagnostics = new ObservedDiagnostics(new JsonDiagnostics(diagnosticsOut, secrets), setup.OnDiagnostic);
        channel.Token.WarnTo(diagnostics);
        using var connection = AgentChannel.Dial(channel);
        var client = connection.Client;
        using var returnValue = ReturnValueFile.Create();
        var sink = new GrpcLogSink(connection, diagnostics, new FallbackLogWriter(fallback),
            new LogSinkOptions { BackoffUnit = setup.BackoffUnit, StallTimeout = setup.StallTimeout, DrainStallTimeout = setup.DrainStallTimeout });
        var runner = new TaskRunner(client, Runners.OwnChildren(setup.GracePeriod), sink, returnValue, diagnostics,
            new TaskRunnerOptions
            {
                Version = "test",
                Hostname = "test-host",
                Environment = setup.Environment,
                HeartbeatInterval = setup.HeartbeatInterval,
                BackoffUnit = setup.BackoffUnit,
                RpcTimeout = setup.RpcTimeout,
                Token = channel.Token,
                Secrets = secrets,
                LogDrainTimeout = setup.LogDrainTimeout ?? TaskRunnerOptions.DefaultLogDrainTimeout,
            });
        var result = await runner.RunAsync(setup.Termination).WaitAsync(Timeout);
        return new AgentRun(result, Encoding.UTF8.GetString(fallback.ToArray()), Encoding.UTF8.GetString(diagnosticsOut.ToArray()));
    }
}
