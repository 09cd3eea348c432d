using System.Text;
using Google.Protobuf;
using Grpc.Core;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>
/// The task's secrets (README, "Secrets in the task log") never reach the control plane nor the
/// agent's own output: a real task prints every kind of them, as delivered and decoded, and
/// every line, every diagnostic and every request the dev control plane recorded is searched.
/// </summary>
public sealed class MaskingTests
{
    private const string Password = "Tr0ub4dor&3x";
    private const string Decoded = "p@ss:w/rd-9";
    private const string Encoded = "p%40ss%3Aw%2Frd-9";
    private const string ExtraKey = "ak+12345";
    private const string ExtraKeyEncoded = "ak%2B12345";
    private const string RawAt = "r@w:pass9";
    private const string RawSlash = "pa/ss/9x";
    private const string JsonPassword = "js-\"pw\"-77";
    private const string JsonPasswordSpelled = "js-\\\"pw\\\"-77";
    private const string JsonToken = "xt-998877";
    private const string NestedKey = "sk-live-4eC39Hq";

    /// <summary>Every spelling of every secret the task was given: none may appear anywhere.</summary>
    private static readonly string[] Spellings = [Password, Decoded, Encoded, ExtraKey, ExtraKeyEncoded, RawAt, RawSlash, JsonPassword, JsonPasswordSpelled, JsonToken, NestedKey];

    private static ControlPlaneScript WithEverySecret(string bash)
    {
        var script = Tasks.Bash(bash);
        script.Token = "tok-" + Guid.NewGuid().ToString("N")[..12];
        script.Variables["db_password"] = Password;
        script.Variables["region"] = "eu-west-1";
        script.Variables["settings"] = $$"""{"api_key": "{{NestedKey}}", "region": "eu"}""";
        script.Variables["pin_token"] = "Qz9";
        script.Connections["warehouse"] = $"postgres://scott:{Encoded}@db.internal:5432/dwh?__extra__=%7B%22api_key%22%3A%20%22{ExtraKeyEncoded}%22%7D";
        script.Connections["raw_at"] = $"mysql://scott:{RawAt}@db/x";
        script.Connections["raw_slash"] = $"mysql://scott:{RawSlash}@db/x";
        script.Connections["json_conn"] = $$$"""{"conn_type": "postgres", "login": "u", "password": "{{{JsonPasswordSpelled}}}", "extra": {"token": "{{{JsonToken}}}"}}""";
        return script;
    }

    private const string PrintEverySecret = """
        echo "var $AIRFLOW_VAR_DB_PASSWORD region=$AIRFLOW_VAR_REGION short=$AIRFLOW_VAR_PIN_TOKEN"
        echo "conn $AIRFLOW_CONN_WAREHOUSE"
        echo "decoded p@ss:w/rd-9 extra ak+12345"
        echo "raw $AIRFLOW_CONN_RAW_AT $AIRFLOW_CONN_RAW_SLASH"
        echo "json $AIRFLOW_CONN_JSON_CONN"
        echo "settings $AIRFLOW_VAR_SETTINGS"
        echo "token $TOKEN"
        echo "adjacent ${AIRFLOW_VAR_DB_PASSWORD}p@ss:w/rd-9 overlapping Tr0ub4dor&3xt-998877"
        echo "err $AIRFLOW_VAR_DB_PASSWORD" >&2
        env
        """;

    private static string WithToken(ControlPlaneScript script, string bash) => $"TOKEN='{script.Token}'\n{bash}";

    [Fact]
    public async Task EverySecretIsMaskedInTheLogAndNoRecordedCallCarriesOne()
    {
        var script = WithEverySecret("");
        script.Spec.Entrypoint = WithToken(script, PrintEverySecret);
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        var stdout = plane.Record.Messages("stdout");
        Assert.Equal([
            "var *** region=eu-west-1 short=Qz9",
            "conn postgres://scott:***@db.internal:5432/dwh?__extra__=%7B%22api_key%22%3A%20%22***%22%7D",
            "decoded *** extra ***",
            "raw mysql://scott:***@db/x mysql://scott:***@db/x",
            """json {"conn_type": "postgres", "login": "u", "password": "***", "extra": {"token": "***"}}""",
            """settings {"api_key": "***", "region": "eu"}""",
            "token ***",
            "adjacent *** overlapping ***",
        ], stdout[..8]);
        Assert.Contains("AIRFLOW_VAR_DB_PASSWORD=***", stdout);   // env prints the task's environment as delivered
        Assert.Equal(["err ***"], plane.Record.Messages("stderr"));
        var agent = plane.Record.Messages("agent");
        int masked = 14 + stdout.Skip(8).Sum(l => l.Split("***").Length - 1);
        Assert.Equal($"▪ secrets masked in the task's output: {masked}", agent[^2]);
        Assert.StartsWith("✓ task succeeded", agent[^1]);
        AssertNoSecretIn(plane.Record, script.Token);
        AssertNoSecretIn(run.Diagnostics + run.FallbackOutput, script.Token);
        var shortOne = Assert.Single(run.Diagnostics.Split('\n'), l => l.Contains("not masked"));
        Assert.Contains("""not masked in the task's log: variable \"pin_token\" (shorter than 5 characters)""", shortOne);
        Assert.DoesNotContain("Qz9", shortOne);
    }

    [Fact]
    public async Task ThePrintedLinesGoMaskedToTheStdoutFallbackToo()
    {
        var script = WithEverySecret("");
        script.Spec.Entrypoint = WithToken(script, PrintEverySecret);
        script.Unimplemented.Add("StreamLogs");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Contains("[stdout INFO] var *** region=eu-west-1 short=Qz9\n", run.FallbackOutput);
        Assert.Contains("[stderr ERROR] err ***\n", run.FallbackOutput);
        Assert.Contains("[agent INFO] ▪ secrets masked in the task's output: ", run.FallbackOutput);
        AssertNoSecretIn(run.FallbackOutput + run.Diagnostics, script.Token);
        AssertNoSecretIn(plane.Record, script.Token);
    }

    /// <summary>A line longer than 64 KiB cut where a secret is: no piece carries a part of it.</summary>
    [Fact]
    public async Task ASecretAtThe64KiBSplitIsMaskedInBothPieces()
    {
        var script = WithEverySecret("""head -c 65530 /dev/zero | tr '\0' x; echo "${AIRFLOW_VAR_DB_PASSWORD}-after"; echo next""");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal([new string('x', 65530), "***-after", "next"], plane.Record.Messages("stdout"));
    }

    /// <summary>
    /// The agent's own texts (the framing line, error_message, the termination log, its stderr)
    /// when the control plane quotes a secret in an error, through the executable.
    /// </summary>
    [Fact]
    public async Task ASecretQuotedByTheControlPlaneIsMaskedInEveryTextTheAgentWrites()
    {
        using var dir = new TempDirectory();
        string terminationLog = Path.Join(dir.Path, "termination-log");
        var script = WithEverySecret("echo never");
        script.Before("ReportState:RUNNING", (_, _) => throw new RpcException(new Status(StatusCode.PermissionDenied,
            $"password {Decoded} of warehouse and {Password} may not be used; nor {script.Token}")));
        await using var plane = await DevControlPlane.StartAsync(script);
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_AGENT_TERMINATION_LOG"] = terminationLog;

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 1, run.Stderr);
        const string said = "reporting RUNNING: PermissionDenied: password *** of warehouse and *** may not be used; nor ***";
        Assert.Equal(said, (await plane.Record.Final()).ErrorMessage);
        Assert.Equal("✗ task failed before start: " + said, plane.Record.Messages("agent")[^1]);
        Assert.Equal(said, File.ReadAllText(terminationLog));
        Assert.Contains(said, run.Stderr);
        AssertNoSecretIn(plane.Record, script.Token);
        AssertNoSecretIn(run.Stdout + run.Stderr + File.ReadAllText(terminationLog), script.Token);
    }

    [Fact]
    public async Task TurnedOffTheTasksSecretsShowAndTheTokenStillDoesNot()
    {
        var script = WithEverySecret("");
        script.Spec.Entrypoint = WithToken(script, """echo "pw=$AIRFLOW_VAR_DB_PASSWORD token=$TOKEN" """);
        await using var plane = await DevControlPlane.StartAsync(script);
        var env = AgentProcess.EnvironmentFor(plane);
        env["LEOFLOW_AGENT_MASK_SECRETS"] = "false";

        var run = await AgentProcess.RunAsync(env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal([$"pw={Password} token=***"], plane.Record.Messages("stdout"));
        var warning = Assert.Single(run.Stderr.Split('\n'), l => l.Contains("LEOFLOW_AGENT_MASK_SECRETS"));
        Assert.Contains("\"level\":\"WARN\"", warning);
        Assert.DoesNotContain("not masked in the task's log", run.Stderr);   // nothing was to be masked: no word on short ones
        Assert.DoesNotContain(script.Token, run.Stdout + run.Stderr);
        Assert.DoesNotContain(plane.Record.AllMessages, m => Contains(m, script.Token));
    }

    /// <summary>No spelling of the task's secrets, nor the token, in any message the agent sent; the token only in the authorization header.</summary>
    private static void AssertNoSecretIn(ControlPlaneRecord record, string token)
    {
        var messages = record.AllMessages;
        Assert.Contains(messages, m => m is ReportStateRequest);
        foreach (var message in messages)
            foreach (var secret in Spellings.Append(token))
                Assert.False(Contains(message, secret), $"a {message.Descriptor.Name} carries {secret}");
        foreach (var header in record.Authorizations)
            Assert.DoesNotContain(Spellings, s => header.Contains(s, StringComparison.Ordinal));
    }

    private static void AssertNoSecretIn(string output, string token)
    {
        foreach (var secret in Spellings.Append(token))
            Assert.False(output.Contains(secret, StringComparison.Ordinal) || output.Contains(Json(secret), StringComparison.Ordinal), $"the output carries {secret}");
    }

    /// <summary>A message's bytes on the wire hold the secret's UTF-8.</summary>
    private static bool Contains(IMessage message, string secret) => message.ToByteArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0;

    /// <summary>How a diagnostic (a JSON line) spells the secret.</summary>
    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text)[1..^1];
}
