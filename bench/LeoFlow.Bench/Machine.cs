using System.Diagnostics;

namespace LeoFlow.Bench;

/// <summary>The machine line of the report, read from /proc.</summary>
internal sealed record Machine(int Cores, string CpuModel, double MemoryGb, string Kernel, string LoadAverage, string AgentVersion)
{
    public static Machine Read(string agent)
    {
        var cpuinfo = File.ReadAllLines("/proc/cpuinfo");
        string model = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf(':') + 1)..].Trim() : "unknown CPU";
        int cores = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        string memTotal = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        double memoryGb = long.Parse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024 / 1e9;
        string kernel = "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        return new Machine(cores, model, memoryGb, kernel, load, Version(agent));
    }

    private static string Version(string agent)
    {
        var start = new ProcessStartInfo(agent, ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(start) ?? throw new BenchException($"{agent} did not start");
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }
}
