using LeoFlow.Agent.Tests.Harness;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Integration;

/// <summary>Variables and connections as AIRFLOW_* variables, best effort; the agent's own token never reaches the task.</summary>
public sealed class SecretsTests
{
    private const string PrintSecrets = """echo "var=${AIRFLOW_VAR_API_KEY-unset} conn=${AIRFLOW_CONN_WAREHOUSE_DB-unset}" """;

    private static ControlPlaneScript WithSecrets(string bash)
    {
        var script = Tasks.Bash(bash);
        script.Variables["api_key"] = "k-123";
        script.Connections["warehouse_db"] = "postgres://user:pw@db:5432/dwh?__extra__=%7B%7D";
        return script;
    }

    /// <summary>They arrive as they were sent; in the log the sensitive variable is masked, the 2-character password is too short to be.</summary>
    [Fact]
    public async Task VariablesAndConnectionsReachTheTask()
    {
        await using var plane = await DevControlPlane.StartAsync(WithSecrets(PrintSecrets +
            """; [ "$AIRFLOW_VAR_API_KEY" = k-123 ] && [ "$AIRFLOW_CONN_WAREHOUSE_DB" = 'postgres://user:pw@db:5432/dwh?__extra__=%7B%7D' ] && echo "as sent" """));

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["var=*** conn=postgres://user:pw@db:5432/dwh?__extra__=%7B%7D", "as sent"], plane.Record.Messages("stdout"));
    }

    [Fact]
    public async Task SecretsRefusedOnPlaintextStillRunsTheTaskWithoutThem()
    {
        var script = WithSecrets(PrintSecrets);
        script.AllowInsecureSecrets = false;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["var=unset conn=unset"], plane.Record.Messages("stdout"));
        Assert.Contains("variables unavailable; the task runs without them", run.Diagnostics);
        Assert.Contains("PermissionDenied: refusing to send secrets over an insecure channel", run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
    }

    [Fact]
    public async Task SecretsNotConfiguredStillRunsTheTaskWithoutThemAndIsNotRetried()
    {
        var script = WithSecrets(PrintSecrets);
        script.SecretsConfigured = false;
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(["var=unset conn=unset"], plane.Record.Messages("stdout"));
        Assert.Contains("Unavailable: secrets delivery is not configured", run.Diagnostics);
        // The control plane's own Unavailable is an answer, not a transport failure worth retrying.
        Assert.Equal(1, plane.Record.Calls.Count(c => c == "GetVariables"));
        Assert.Equal(1, plane.Record.Calls.Count(c => c == "GetConnections"));
    }

    [Fact]
    public async Task TheAgentTokenNeverReachesTheTaskNorItsLog()
    {
        var script = Tasks.Bash("""env; echo "token=${LEOFLOW_AGENT_TOKEN-unset} file=${LEOFLOW_AGENT_TOKEN_FILE-unset}" """);
        script.Token = "tok-" + Guid.NewGuid().ToString("N");
        await using var plane = await DevControlPlane.StartAsync(script);

        var run = await InProcessAgent.RunAsync(plane, s =>
        {
            s.Environment["LEOFLOW_AGENT_TOKEN"] = script.Token;
            s.Environment["LEOFLOW_AGENT_TOKEN_FILE"] = "/var/run/secrets/leoflow/token";
            s.Environment["LEOFLOW_TASK_INSTANCE_ID"] = "ti-42";
        });

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        var stdout = plane.Record.Messages("stdout");
        Assert.Contains("LEOFLOW_TASK_INSTANCE_ID=ti-42", stdout);   // the rest of the agent's environment is there
        Assert.Contains("token=unset file=unset", stdout);
        Assert.DoesNotContain(plane.Record.Lines, l => l.Message.Contains(script.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(script.Token, run.Diagnostics);
        Assert.DoesNotContain(script.Token, run.FallbackOutput);
    }
}
