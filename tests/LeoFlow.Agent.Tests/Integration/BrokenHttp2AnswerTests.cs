using System.Text.RegularExpressions;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.Agent.Tests.Unit;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>
/// A control plane (or something in front of it) whose HTTP/2 answers the client library refuses:
/// the agent still says in words what went wrong, never a runtime resource key such as
/// "net_http_client_execution_error" (the Native AOT binary has no resource strings).
/// </summary>
public sealed class BrokenHttp2AnswerTests
{
    private const string ResourceKey = "[A-Za-z]+_[A-Za-z]+_";

    /// <summary>
    /// A header block that does not decode, or 1 MiB of headers (the agent takes 64 KiB); on the
    /// first call, or after the log stream was answered well (Unimplemented: the log goes to stdout).
    /// </summary>
    [Theory]
    [InlineData("undecodable", false)]
    [InlineData("huge", false)]
    [InlineData("undecodable", true)]
    [InlineData("huge", true)]
    public async Task TheAgentSaysInWordsWhatIsWrongWithTheAnswerAndDoesNotRetryIt(string answer, bool afterAGoodAnswer)
    {
        await using var server = new RawHttp2Server(stream =>
            afterAGoodAnswer && stream == 1 ? RawHttp2Server.Unimplemented(stream)
            : answer == "undecodable" ? RawHttp2Server.UndecodableHeaders(stream)
            : RawHttp2Server.HugeHeaders(stream, 1024 * 1024));
        var env = new Dictionary<string, string?>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = server.Address,
            ["LEOFLOW_AGENT_TOKEN"] = "a-token-of-some-length",
            ["LEOFLOW_TASK_INSTANCE_ID"] = "ti-test",
        };

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 1, run.Stderr);
        string words = Regex.Replace(run.Stderr, "LEOFLOW_[A-Z_]+", "VARIABLE");   // the agent's own variables are not resource keys
        Assert.False(Regex.IsMatch(words, ResourceKey), run.Stderr);
        Assert.True(run.Stderr.Contains("sent response headers the agent cannot read (malformed, or over its limit of 64 KiB)", StringComparison.Ordinal), run.Stderr);
        // The unreadable answer is never retried. Register may still be, once, when it went out on
        // the connection that the log stream's unreadable answer then closed under it: a broken
        // connection, which is retried like any other (seen under load).
        var retries = run.Stderr.Split('\n').Where(line => line.Contains("retrying", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(retries, line => line.Contains("cannot read", StringComparison.Ordinal));
        Assert.True(retries.Count <= (afterAGoodAnswer ? 0 : 1), run.Stderr);
        if (afterAGoodAnswer) Assert.Contains("log stream unavailable", run.Stderr);
    }
}
