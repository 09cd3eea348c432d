namespace LeoFlow.Agent.Process;

/// <summary>
/// The <c>oom_kill</c> counter of the agent's own memory cgroup (the task is in it too): cgroup v2
/// <c>memory.events</c>, or cgroup v1 <c>memory.oom_control</c> on hosts still on v1. The kernel
/// raises it before it sends the victim SIGKILL, so a SIGKILL whose run saw it grow came from
/// the OOM killer (a pod's memory limit), which is worth saying instead of a bare SIGKILL.
/// </summary>
internal sealed class CgroupOomKills : IOomKillCounter
{
    private const string Key = "oom_kill";

    private CgroupOomKills(string? file) => File = file;

    /// <summary>The file read, or null when no memory cgroup was found (then nothing is ever reported).</summary>
    public string? File { get; }

    /// <summary>A counter that knows nothing: no memory cgroup found, or a host that spawns other processes too.</summary>
    public static CgroupOomKills None { get; } = new(null);

    /// <summary>
    /// Finds the calling process's memory cgroup from <paramref name="procSelfCgroup"/> under the
    /// cgroup mount <paramref name="mountRoot"/>. In a container with its own cgroup namespace the
    /// path is "/"; without one the mount shows only the container's subtree, so a path that is
    /// not there falls back to the mount's root.
    /// </summary>
    public static CgroupOomKills ForCurrentProcess(string procSelfCgroup = "/proc/self/cgroup", string mountRoot = "/sys/fs/cgroup")
    {
        string[] lines;
        try { lines = System.IO.File.ReadAllLines(procSelfCgroup); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return None; }

        string? v2 = null, v1 = null;
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0) v2 = parts[2];
            else if (parts[1].Split(',').Contains("memory")) v1 = parts[2];
        }
        string? file = (v2 is null ? null : Find(mountRoot, v2, "memory.events"))
            ?? (v1 is null ? null : Find(Path.Join(mountRoot, "memory"), v1, "memory.oom_control"));
        return file is null ? None : new CgroupOomKills(file);
    }

    private static string? Find(string mount, string cgroup, string name)
    {
        string own = Path.Join(mount, cgroup, name);
        if (System.IO.File.Exists(own)) return own;
        string root = Path.Join(mount, name);
        return System.IO.File.Exists(root) ? root : null;
    }

    public long? Read()
    {
        if (File is null) return null;
        try { return Parse(System.IO.File.ReadAllText(File)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The <c>oom_kill</c> value of "key value" lines, or null when absent or malformed.</summary>
    public static long? Parse(string content)
    {
        foreach (var line in content.AsSpan().EnumerateLines())
        {
            int space = line.IndexOf(' ');
            if (space < 0 || !line[..space].SequenceEqual(Key)) continue;
            return long.TryParse(line[(space + 1)..].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        return null;
    }
}
