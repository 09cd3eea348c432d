using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>The agent executable started under another command, as <see cref="AgentProcess"/> starts it alone.</summary>
internal static class WrappedAgent
{
    /// <summary>Starts the agent executable under <paramref name="wrapper"/> (a command that ends by exec'ing its arguments).</summary>
    public static System.Diagnostics.Process Start(IReadOnlyDictionary<string, string?> environment, params string[] wrapper)
    {
        var start = new System.Diagnostics.ProcessStartInfo(wrapper[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in wrapper.Skip(1)) start.ArgumentList.Add(a);
        start.ArgumentList.Add(Repo.AgentBinary);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("LEOFLOW_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }
}
