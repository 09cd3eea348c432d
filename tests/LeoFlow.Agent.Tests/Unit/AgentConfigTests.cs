using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class AgentConfigTests
{
    private static Dictionary<string, string> Env(params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = "leoflow-server:9091",
            ["LEOFLOW_AGENT_TOKEN"] = "tok-value",
        };
        foreach (var (name, value) in extra) env[name] = value;
        return env;
    }

    [Fact]
    public void TheExecutorsEnvironmentIsEnough()
    {
        var config = AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TOKEN", " tok-value\n")));

        Assert.Equal(new Uri("http://leoflow-server:9091/"), config.Channel.Address);
        Assert.False(config.Channel.UseTls);
        Assert.Equal("tok-value", config.Channel.Token.Current());
        Assert.Null(config.Channel.TrustedCas);
        Assert.Equal(AgentConfig.DefaultGracePeriod, config.GracePeriod);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void MissingTokenIsAnError(string? token)
    {
        var env = Env();
        if (token is null) env.Remove("LEOFLOW_AGENT_TOKEN");
        else env["LEOFLOW_AGENT_TOKEN"] = token;

        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(env));
        Assert.Contains("LEOFLOW_AGENT_TOKEN", e.Message);
    }

    [Fact]
    public void MissingAddressIsAnError()
    {
        var env = Env();
        env.Remove("LEOFLOW_CONTROL_PLANE_ADDR");
        Assert.Contains("LEOFLOW_CONTROL_PLANE_ADDR", Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(env)).Message);
    }

    [Fact]
    public void TokenAndTokenFileTogetherAreAnError()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("token", "from-file");
        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TOKEN_FILE", file))));
        Assert.Contains("not both", e.Message);
    }

    [Fact]
    public void TokenFileIsRead()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("token", "from-file\n");
        var env = Env(("LEOFLOW_AGENT_TOKEN_FILE", file));
        env.Remove("LEOFLOW_AGENT_TOKEN");

        Assert.Equal("from-file", AgentConfig.FromEnvironment(env).Channel.Token.Current());
    }

    [Fact]
    public void MissingOrEmptyTokenFileIsAnError()
    {
        using var dir = new TempDirectory();
        foreach (var file in new[] { Path.Join(dir.Path, "absent"), dir.WriteFile("empty", "\n") })
        {
            var env = Env(("LEOFLOW_AGENT_TOKEN_FILE", file));
            env.Remove("LEOFLOW_AGENT_TOKEN");
            var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(env));
            Assert.Contains(file, e.Message);
        }
    }

    [Fact]
    public void InsecureFalseMeansTls() =>
        Assert.True(AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_INSECURE", "false"))).Channel.UseTls);

    [Fact]
    public void AnUnreadableCaBundleIsAnErrorWithTls()
    {
        var env = Env(("LEOFLOW_AGENT_INSECURE", "false"), ("LEOFLOW_AGENT_TLS_CA", "/nonexistent/ca.crt"));
        Assert.Contains("LEOFLOW_AGENT_TLS_CA", Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(env)).Message);
    }

    [Fact]
    public void TheCaBundleIsIgnoredInPlaintext() =>
        Assert.Null(AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TLS_CA", "/nonexistent/ca.crt"))).Channel.TrustedCas);

    [Theory]
    [InlineData("10", 10_000)]
    [InlineData("10s", 10_000)]
    [InlineData("2.5", 2_500)]
    [InlineData("500ms", 500)]
    [InlineData("1m", 60_000)]
    [InlineData("0", 0)]
    [InlineData("60m", 3_600_000)]
    [InlineData("  ", 10_000)]
    public void GracePeriod(string value, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_GRACE_PERIOD", value))).GracePeriod);

    [Theory]
    [InlineData("ten")]
    [InlineData("10h")]
    [InlineData("-1")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("61m")]
    [InlineData("3601")]
    [InlineData("Infinity")]
    [InlineData("NaN")]
    [InlineData("1e400")]
    public void BadGracePeriodIsAnError(string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_GRACE_PERIOD", value))));
        Assert.Contains("LEOFLOW_AGENT_GRACE_PERIOD", e.Message);
        Assert.Contains(value, e.Message);
    }

    [Theory]
    [InlineData("x")]
    [InlineData(" 1234567 ")]
    public void ATokenShorterThanEightCharactersIsAConfigurationError(string token)
    {
        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_TOKEN", token))));

        Assert.Equal($"LEOFLOW_AGENT_TOKEN holds a token of {token.Trim().Length} character(s): a bearer token needs at least 8", e.Message);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(" ", true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void SecretsAreMaskedUnlessTurnedOffWithOneWarning(string? value, bool masked)
    {
        var config = AgentConfig.FromEnvironment(value is null ? Env() : Env(("LEOFLOW_AGENT_MASK_SECRETS", value)));

        Assert.Equal(masked, config.MaskSecrets);
        Assert.Equal(masked ? 0 : 1, config.Warnings.Count(w => w.StartsWith("LEOFLOW_AGENT_MASK_SECRETS=false: the task's secrets are not masked", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("no")]
    [InlineData("False")]
    [InlineData("0")]
    public void AnyOtherMaskSecretsValueIsAConfigurationError(string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => AgentConfig.FromEnvironment(Env(("LEOFLOW_AGENT_MASK_SECRETS", value))));

        Assert.Equal($"LEOFLOW_AGENT_MASK_SECRETS \"{value}\" is invalid: want true or false", e.Message);
    }
}
