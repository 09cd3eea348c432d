using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>What a run of the agent executable printed and returned.</summary>
public sealed record BinaryRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the agent executable as a child process, the way the control plane's executors do.</summary>
public static class AgentProcess
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>The environment an executor gives the agent for <paramref name="plane"/>.</summary>
    public static Dictionary<string, string?> EnvironmentFor(DevControlPlane plane) => new()
    {
        ["LEOFLOW_CONTROL_PLANE_ADDR"] = plane.Address,
        ["LEOFLOW_AGENT_TOKEN"] = plane.Script.Token,
        ["LEOFLOW_TASK_INSTANCE_ID"] = "ti-test",
        ["LEOFLOW_PYTHON"] = "python3",
        ["PYTHONPATH"] = Repo.PythonDir,
    };

    /// <summary>Starts the agent; the caller reads its output with <see cref="WaitAsync"/>.</summary>
    public static System.Diagnostics.Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        Launch(environment, [Repo.AgentBinary, .. args]);

    /// <summary>Starts the agent (no arguments) under <paramref name="wrapper"/>, a command that ends by exec'ing its arguments.</summary>
    public static System.Diagnostics.Process StartWrapped(IReadOnlyDictionary<string, string?> environment, params string[] wrapper) =>
        Launch(environment, [.. wrapper, Repo.AgentBinary]);

    private static System.Diagnostics.Process Launch(IReadOnlyDictionary<string, string?> environment, string[] command)
    {
        var start = new System.Diagnostics.ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        // The test's own settings only: none of the machine's agent, trace context or OpenTelemetry variables.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("LEOFLOW_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)
            || k is "TRACEPARENT" or "TRACESTATE").ToList())
            start.Environment.Remove(name);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    public static async Task<BinaryRun> WaitAsync(System.Diagnostics.Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"leoflow-agent did not exit within {Timeout}");
        }
        return new BinaryRun(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<BinaryRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = Start(environment, args);
        return await WaitAsync(process);
    }
}
