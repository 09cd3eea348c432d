namespace LeoFlow.Agent.Tests.Process;

/// <summary>Whether processes are still alive, seen through /proc.</summary>
internal static class ProcessWatch
{
    /// <summary>Longest wait for a killed process to be gone: generous, it only guards against a hang.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Running or sleeping; a zombie (dead, not yet reaped) or a missing pid is not alive.</summary>
    public static bool IsAlive(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return false; }
        // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length || stat[close + 2] is not ('Z' or 'X');
    }

    /// <summary>
    /// Waits until none of <paramref name="pids"/> is alive and returns those still alive after
    /// <see cref="Timeout"/> (none, normally). A SIGKILLed process takes a moment to die, hence a wait.
    /// </summary>
    public static async Task<int[]> AliveAfterWaitAsync(IEnumerable<int> pids)
    {
        var watched = pids.ToArray();
        var deadline = DateTime.UtcNow + Timeout;
        while (watched.Any(IsAlive) && DateTime.UtcNow < deadline) await Task.Delay(20);
        return watched.Where(IsAlive).ToArray();
    }

    /// <summary>The pid a task wrote to <paramref name="file"/>.</summary>
    public static int ReadPid(string file) => int.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
