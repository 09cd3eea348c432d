namespace LeoFlow.Agent.Tests.Harness;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>The stand-in leoflow_runtime package and sample task modules.</summary>
    public static string PythonDir => Path.Join(Root, "tests", "python");

    /// <summary>
    /// The agent executable under test: LEOFLOW_AGENT_BIN (build.sh points it at the published
    /// Native AOT binary), else the apphost the same build configuration as these tests left in
    /// the CLI project's bin/ (not merely the newest file: an apphost is not rewritten when only
    /// its dll changes, so another configuration's stale one could look newer).
    /// </summary>
    public static string AgentBinary { get; } = FindAgent();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Join(dir.FullName, "LeoFlow.Agent.sln"))) return dir.FullName;
        throw new InvalidOperationException("LeoFlow.Agent.sln not found above " + AppContext.BaseDirectory);
    }

    private static string FindAgent()
    {
        if (Environment.GetEnvironmentVariable("LEOFLOW_AGENT_BIN") is { Length: > 0 } given) return given;
        string configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Join(Root, "src", "LeoFlow.Agent.Cli", "bin", configuration, "net10.0", "leoflow-agent");
        return File.Exists(path) ? path : throw new InvalidOperationException("leoflow-agent not built at " + path);
    }
}
