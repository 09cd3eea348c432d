namespace LeoFlow.Bench;

/// <summary>The environment an executor gives the agent, and the same in words for the report.</summary>
internal static class AgentEnvironment
{
    public static Dictionary<string, string> For(BenchOptions options, string address)
    {
        var env = new Dictionary<string, string>
        {
            ["LEOFLOW_CONTROL_PLANE_ADDR"] = address,
            ["LEOFLOW_AGENT_TOKEN"] = BenchOptions.Token,
            ["LEOFLOW_TASK_INSTANCE_ID"] = "ti-bench",
            // Empty: no termination log file (the default would be /dev/termination-log when it exists).
            ["LEOFLOW_AGENT_TERMINATION_LOG"] = "",
        };
        foreach (var (name, value) in options.AgentEnvironment) env[name] = value;
        return env;
    }

    /// <summary>The shell form of <see cref="For"/>, port left symbolic (each plane picks a free one).</summary>
    public static string Shell(BenchOptions options) =>
        $"LEOFLOW_CONTROL_PLANE_ADDR=127.0.0.1:$PORT LEOFLOW_AGENT_TOKEN={BenchOptions.Token} LEOFLOW_TASK_INSTANCE_ID=ti-bench LEOFLOW_AGENT_TERMINATION_LOG="
        + string.Concat(options.AgentEnvironment.Select(e => $" {e.Key}={e.Value}"));

    /// <summary>A path relative to the repository, for commands quoted in the report.</summary>
    public static string Relative(BenchOptions options, string path) => Path.GetRelativePath(options.Repo, path);
}
