using Grpc.Core;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>
/// A control plane that quotes the agent's token, and raw control bytes, in an error: every text
/// the executable sends out (stderr, the termination log, the task log's framing lines,
/// ReportState's error_message) has the token masked and the controls escaped.
/// </summary>
public sealed class EchoedTokenTests
{
    [Fact]
    public async Task TheTokenAndControlBytesOfAServerMessageReachNoOutgoingText()
    {
        using var dir = new TempDirectory();
        string terminationLog = Path.Join(dir.Path, "termination-log");
        var script = Tasks.Bash("echo never");
        script.Token = "tok-SECRET-" + Guid.NewGuid().ToString("N")[..8];
        script.Spec.XcomInputMapping["numbers"] = "extract";
        script.Before("FetchXCom", (_, _) => throw new RpcException(new Status(StatusCode.PermissionDenied,
            $"token {script.Token} may not read up\u001b[31m\0done")));
        await using var plane = await DevControlPlane.StartAsync(script);
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_AGENT_TERMINATION_LOG"] = terminationLog;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 1, run.Stderr);
        string reported = (await plane.Record.Final()).ErrorMessage;
        string framing = Assert.Single(plane.Record.Lines, l => l.Stream == "agent" && l.Message.Contains("may not read up")).Message;
        string written = File.ReadAllText(terminationLog);
        foreach (var (where, text) in new[] { ("error_message", reported), ("framing line", framing), ("termination log", written), ("stderr", run.Stderr) })
        {
            Assert.False(text.Contains(script.Token, StringComparison.Ordinal), $"{where}: {text}");
            Assert.False(text.Contains("SECRET", StringComparison.Ordinal), $"{where}: {text}");
            Assert.True(text.IndexOfAny(['\u001b', '\0']) < 0, $"{where} carries a raw control byte: {text}");
        }
        foreach (var text in new[] { reported, framing, written })
            Assert.Contains("token *** may not read up\\u001b[31m\\u0000done", text);
    }
}
