using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>
/// A child memory cgroup (cgroup v1) under the test's own, with a limit, for a real OOM kill.
/// v2 is not tried: a child with the memory controller needs the parent's subtree_control and
/// no processes in the parent, which a test cannot arrange around its own host process.
/// </summary>
internal sealed class MemoryCgroup : IDisposable
{
    private MemoryCgroup(string path) => Path = path;

    public string Path { get; }

    /// <summary>Why a child memory cgroup cannot be made here, or null when it can.</summary>
    public static string? Unavailable { get; } = Probe();

    public static MemoryCgroup Create(long limitBytes)
    {
        string own = System.IO.Path.GetDirectoryName(CgroupOomKills.ForCurrentProcess().File!)!;
        var cgroup = new MemoryCgroup(Directory.CreateDirectory(System.IO.Path.Join(own, "leoflow-test-" + Guid.NewGuid().ToString("N")[..12])).FullName);
        File.WriteAllText(System.IO.Path.Join(cgroup.Path, "memory.limit_in_bytes"), limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return cgroup;
    }

    /// <summary>A command prefix that moves itself into the cgroup, then execs the rest of its arguments.</summary>
    public string[] Wrapper => ["sh", "-c", $"echo $$ > {Path}/cgroup.procs && exec \"$@\"", "sh"];

    public void Dispose()
    {
        // The cgroup can only go once its last process is gone; that takes a moment after a kill.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try { Directory.Delete(Path); return; }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(50); }
        }
    }

    private static string? Probe()
    {
        string? file = CgroupOomKills.ForCurrentProcess().File;
        if (file is null) return "no memory cgroup found";
        if (!file.EndsWith("/memory.oom_control", StringComparison.Ordinal)) return "the memory cgroup is v2 (" + file + ")";
        try
        {
            Create(1L << 30).Dispose();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "cannot create a child memory cgroup: " + e.Message;
        }
    }
}
