using System.Text;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class TaskEnvironmentTests
{
    private static Dictionary<string, string> Env(params (string Name, string Value)[] entries) =>
        entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);

    [Fact]
    public void TheAgentsCredentialsAndTheControlPlanesSecretsAreScrubbed()
    {
        var agent = Env(
            ("PATH", "/usr/bin"), ("LEOFLOW_AGENT_TOKEN", "tok"), ("LEOFLOW_AGENT_TOKEN_FILE", "/var/run/token"),
            ("LEOFLOW_AGENT_TLS_KEY", "k"), ("LEOFLOW_AUTH_JWT_SECRET", "jwt"), ("LEOFLOW_SECRET_KEY", "sk"),
            ("LEOFLOW_DATABASE_URL", "postgres://"), ("LEOFLOW_TASK_INSTANCE_ID", "ti-1"));

        var entries = new TaskEnvironment(agent).ToEntries();

        Assert.Equal(["PATH=/usr/bin", "LEOFLOW_TASK_INSTANCE_ID=ti-1"], entries);
    }

    [Fact]
    public void LaterSourcesWinAndKeepTheFirstPosition()
    {
        var env = new TaskEnvironment(Env(("A", "agent"), ("B", "agent"), ("C", "agent")));
        env.AddSpecEnvironment(Env(("B", "spec"), ("D", "spec")));
        env.Set("B", "xcom", "XCom input");
        env.Set("A", "secret", "variable");

        Assert.Equal(["A=secret", "B=xcom", "C=agent", "D=spec"], env.ToEntries());
        Assert.Equal("xcom", env.Get("B"));
        Assert.Null(env.Get("E"));
    }

    [Fact]
    public void SpecEnvironmentIsAppliedInByteOrder()
    {
        var env = new TaskEnvironment([]);
        env.AddSpecEnvironment(new[] { ("b", "1"), ("a", "2"), ("B", "3"), ("_x", "4"), ("é", "5"), ("A1", "6") }
            .Select(e => KeyValuePair.Create(e.Item1, e.Item2)));

        Assert.Equal(["A1=6", "B=3", "_x=4", "a=2", "b=1", "é=5"], env.ToEntries());
    }

    [Theory]
    [InlineData("numbers", "LEOFLOW_XCOM_NUMBERS")]
    [InlineData("rawData", "LEOFLOW_XCOM_RAWDATA")]
    [InlineData("x_1", "LEOFLOW_XCOM_X_1")]
    public void XComVariableIsTheUpperCasedParameter(string param, string name)
    {
        var (n, value) = TaskEnvironment.XComEnvVar(param, """{"a": [1, "é"]}"""u8);
        Assert.Equal(name, n);
        Assert.Equal("""{"a": [1, "é"]}""", value);
    }

    [Theory]
    [InlineData("", "\"\"")]
    [InlineData("A=B", "\"A=B\"")]
    [InlineData("A\0B", "\"A\\0B\"")]
    public void ImpossibleNamesFailTheTask(string name, string quoted)
    {
        var env = new TaskEnvironment([]);
        var e = Assert.Throws<TaskFailedException>(() => env.Set(name, "v", "task environment variable"));
        Assert.StartsWith("task environment variable ", e.Message);
        Assert.Contains("cannot be an environment variable name", e.Message);
        Assert.Contains(quoted, e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Fact]
    public void ASpecNameWithEqualsSignFailsTheTask()
    {
        var env = new TaskEnvironment([]);
        var e = Assert.Throws<TaskFailedException>(() => env.AddSpecEnvironment(Env(("A=B", "v"))));
        Assert.Contains("\"A=B\"", e.Message);
    }

    [Fact]
    public void ANulInAValueFailsTheTask()
    {
        var env = new TaskEnvironment([]);
        var e = Assert.Throws<TaskFailedException>(() => env.Set("GREETING", "hello\0world", "variable"));
        Assert.Equal("variable \"GREETING\" has a NUL byte in its value", e.Message);
        Assert.Empty(env.ToEntries());
    }

    [Fact]
    public void AnEntryOverLinuxsLimitFailsTheTask()
    {
        var env = new TaskEnvironment([]);
        // "X=" + value + NUL is exactly MAX_ARG_STRLEN: the kernel takes it.
        string fits = new('v', TaskEnvironment.MaxEntryBytes - 3);
        env.Set("X", fits, "XCom input");
        Assert.Equal("X=" + fits, Assert.Single(env.ToEntries()));

        var e = Assert.Throws<TaskFailedException>(() => env.Set("Y", fits + "v", "XCom input"));
        Assert.Contains("\"Y\"", e.Message);
        Assert.Contains($"{TaskEnvironment.MaxEntryBytes + 1} bytes", e.Message);
        Assert.Contains("131072-byte limit", e.Message);
    }

    [Fact]
    public void TheLimitCountsUtf8BytesNotCharacters()
    {
        var env = new TaskEnvironment([]);
        string value = new('é', TaskEnvironment.MaxEntryBytes / 2);   // half as many chars as bytes
        Assert.True(Encoding.UTF8.GetByteCount(value) >= TaskEnvironment.MaxEntryBytes);
        Assert.Throws<TaskFailedException>(() => env.Set("E", value, "variable"));
    }

    [Fact]
    public void LongNamesAreShortenedInTheMessage()
    {
        var env = new TaskEnvironment([]);
        string name = new string('N', 200) + "=";
        var e = Assert.Throws<TaskFailedException>(() => env.Set(name, "v", "variable"));
        Assert.True(e.Message.Length < 200, e.Message);
    }
}
