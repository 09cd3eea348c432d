using System.Text;
using System.Text.Json;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class JsonDiagnosticsTests
{
    private static JsonElement[] Lines(MemoryStream output)
    {
        string text = Encoding.UTF8.GetString(output.ToArray());
        Assert.EndsWith("\n", text);
        return text[..^1].Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    }

    [Fact]
    public void WritesOneJsonObjectPerLine()
    {
        var output = new MemoryStream();
        var diagnostics = new JsonDiagnostics(output, new SecretRegistry());

        diagnostics.Info("registered with the control plane");
        diagnostics.Warn("heartbeat failed", "Unavailable: connection refused\nsecond line");
        diagnostics.Error("task failed", "exit \"3\" — ✗ ünïcode");

        var lines = Lines(output);
        Assert.Equal(3, lines.Length);
        Assert.Equal(["INFO", "WARN", "ERROR"], lines.Select(l => l.GetProperty("level").GetString()));
        Assert.Equal("registered with the control plane", lines[0].GetProperty("msg").GetString());
        Assert.False(lines[0].TryGetProperty("error", out _));
        Assert.Equal("Unavailable: connection refused second line", lines[1].GetProperty("error").GetString());   // one line, as every outgoing text
        Assert.Equal("exit \"3\" — ✗ ünïcode", lines[2].GetProperty("error").GetString());
        Assert.All(lines, l => Assert.True(DateTime.TryParse(l.GetProperty("time").GetString(), out _)));
        Assert.All(lines, l => Assert.Equal(["time", "level", "msg"], l.EnumerateObject().Select(p => p.Name).Take(3)));
        Assert.All(lines, l => Assert.False(l.TryGetProperty("trace_id", out _) || l.TryGetProperty("span_id", out _)));
    }

    [Fact]
    public void MasksTheSecretsItWasGiven()
    {
        const string token = "eyJhbGciOiJIUzI1NiJ9.secret-payload.sig";
        var output = new MemoryStream();
        var diagnostics = new JsonDiagnostics(output, Registries.WithTokens(token, "", "second-secret"));

        diagnostics.Warn($"calling with Bearer {token}", $"Unauthenticated: token {token} expired; also second-secret");

        var line = Assert.Single(Lines(output));
        Assert.Equal("calling with Bearer ***", line.GetProperty("msg").GetString());
        Assert.Equal("Unauthenticated: token *** expired; also ***", line.GetProperty("error").GetString());
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void WithATraceEachLineNamesItAndTheStepUnderWay()
    {
        var output = new MemoryStream();
        var trace = TaskTrace.Unexported();
        var diagnostics = new JsonDiagnostics(output, new SecretRegistry(), trace);

        diagnostics.Info("before any step");
        var step = trace.StartClient("agent.register");
        diagnostics.Info("during the step");
        step.End();
        diagnostics.Warn("after it");

        var lines = Lines(output);
        Assert.All(lines, l => Assert.Equal(trace.TraceId, l.GetProperty("trace_id").GetString()));
        Assert.Equal([trace.Root.SpanIdHex, step.SpanIdHex, trace.Root.SpanIdHex], lines.Select(l => l.GetProperty("span_id").GetString()));
        Assert.Equal(["time", "level", "msg", "trace_id", "span_id"], lines[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void ConcurrentWritersNeverInterleaveWithinALine()
    {
        var output = new MemoryStream();
        var diagnostics = new JsonDiagnostics(output, new SecretRegistry());

        Parallel.For(0, 400, i => diagnostics.Info($"message {i} {new string('z', i)}"));

        var messages = Lines(output).Select(l => l.GetProperty("msg").GetString()).ToHashSet();
        Assert.Equal(400, messages.Count);
        Assert.Contains($"message 399 {new string('z', 399)}", messages);
    }
}
