using System.Globalization;

namespace LeoFlow.Bench;

/// <summary>What /proc tells about a running process; every reader returns null once it is gone.</summary>
internal static class ProcFs
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on every Linux ABI we run on).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>Peak resident set size (VmHWM) in KiB.</summary>
    public static long? PeakRssKib(int pid) => StatusField(pid, "VmHWM:");

    /// <summary>Current resident set size (VmRSS) in KiB.</summary>
    public static long? RssKib(int pid) => StatusField(pid, "VmRSS:");

    /// <summary>utime + stime of the whole process (all threads, dead ones included), in ticks.</summary>
    public static long? CpuTicks(int pid)
    {
        string? stat = Read($"/proc/{pid}/stat");
        if (stat is null) return null;
        // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Nanoseconds on a CPU and voluntary context switches (each one a thread going back to sleep
    /// after a wake-up) summed over the live threads. schedstat is precise where utime/stime count
    /// 10 ms ticks; threads that exit take their share along. Involuntary switches are left out:
    /// the runtime's spin-waits (sched_yield) inflate them on a busy machine without any wake-up.
    /// </summary>
    public static (long CpuNs, long Switches, int Threads)? Threads(int pid)
    {
        long ns = 0, switches = 0;
        int threads = 0;
        string[] tasks;
        try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        foreach (var task in tasks)
        {
            string? schedstat = Read(Path.Join(task, "schedstat"));
            if (schedstat is null) continue;
            ns += long.Parse(schedstat.Split(' ')[0], CultureInfo.InvariantCulture);
            string? status = Read(Path.Join(task, "status"));
            switches += StatusFieldOf(status, "voluntary_ctxt_switches:") ?? 0;
            threads++;
        }
        return (ns, switches, threads);
    }

    private static long? StatusField(int pid, string name) => StatusFieldOf(Read($"/proc/{pid}/status"), name);

    private static long? StatusFieldOf(string? status, string name)
    {
        if (status is null) return null;
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
            var value = line[name.Length..].Trim();
            int space = value.IndexOf(' ');
            return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
        }
        return null;
    }

    private static string? Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
