namespace LeoFlow.Agent.Tests.Process;

/// <summary>
/// A test that runs the agent as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`,
/// which needs root or user namespaces); skipped, saying why, where the kernel does not allow it.
/// </summary>
public sealed class UnshareFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public UnshareFactAttribute()
    {
        if (Unavailable.Value is { } why) Skip = "cannot run the agent as PID 1 here: " + why;
    }

    private static string? Probe()
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("unshare", ["--pid", "--fork", "--mount-proc", "true"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var probe = System.Diagnostics.Process.Start(start)!;
            string error = probe.StandardError.ReadToEnd();
            if (!probe.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                probe.Kill();
                return "unshare did not finish";
            }
            return probe.ExitCode == 0 ? null : $"unshare --pid --fork --mount-proc exited {probe.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return "unshare is not installed: " + e.Message;
        }
    }
}
