using System.Text.Json;
using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>A control plane that never comes up ends the run with one clear error, not a wait forever.</summary>
public sealed class UnreachableTests
{
    [Fact]
    public async Task NothingListeningFailsTheRunAfterTheRetries()
    {
        int port = Ports.Free();

        var run = await InProcessAgent.RunAsync(Ports.Http(port), "unreachable-test-token");

        Assert.False(run.Result.Succeeded);
        Assert.StartsWith($"control plane at 127.0.0.1:{port} unreachable after ", run.Result.Error);
        Assert.Contains("Connection refused", run.Result.Error);
        Assert.Equal(Backoff.MaxAttempts, run.Diagnostics.Split('\n').Count(l => l.Contains("log stream could not be opened", StringComparison.Ordinal)));
        Assert.Empty(run.FallbackOutput);   // the task never ran: nothing to fall back with
    }

    [Fact]
    public async Task TheExecutableExitsOneWithOneErrorLineAfterTheRealSchedule()
    {
        int port = Ports.Free();
        using var dir = new TempDirectory();
        string terminationLog = Path.Join(dir.Path, "termination-log");
        var env = new Dictionary<string, string?>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = $"127.0.0.1:{port}",
            ["LEOFLOW_AGENT_TOKEN"] = "unreachable-test-token",   // diagnostics redact it: a one-letter token would mangle them
            ["LEOFLOW_AGENT_TERMINATION_LOG"] = terminationLog,
        };

        var run = await AgentProcess.RunAsync(env);   // 1+2+4+8+16 s of retries: the binary's own schedule

        Assert.Equal(1, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var error = Assert.Single(lines, l => l.GetProperty("level").GetString() == "ERROR");
        Assert.Equal("task failed", error.GetProperty("msg").GetString());
        Assert.StartsWith($"control plane at 127.0.0.1:{port} unreachable after ", error.GetProperty("error").GetString());
        Assert.Equal("ERROR", lines[^1].GetProperty("level").GetString());   // the last word, not buried in warnings
        Assert.Empty(run.Stdout);
        Assert.StartsWith($"control plane at 127.0.0.1:{port} unreachable after ", await File.ReadAllTextAsync(terminationLog));
    }
}
