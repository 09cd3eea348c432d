using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>Runs tests/python/child.py (a task process driven by verbs) through the real runner.</summary>
internal static class ChildProgram
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static ProcessSpec Spec(params string[] verbs) =>
        new(["python3", Path.Join(Repo.PythonDir, "child.py"), .. verbs], BaseEnvironment(), Environment.GetEnvironmentVariable("PATH"));

    public static ProcessSpec Bash(string script) => new(["bash", "-c", script], BaseEnvironment(), Environment.GetEnvironmentVariable("PATH"));

    public static async Task<(ProcessExit Exit, LineCollector Lines)> RunAsync(ProcessSpec spec, ICommandRunner? runner = null)
    {
        var lines = new LineCollector();
        var exit = await (runner ?? Runners.OwnChildren(TimeSpan.FromSeconds(2))).RunAsync(spec, lines, CancellationToken.None).WaitAsync(Timeout);
        return (exit, lines);
    }

    private static string[] BaseEnvironment() => ["PATH=" + Environment.GetEnvironmentVariable("PATH"), "LANG=C.UTF-8"];
}
