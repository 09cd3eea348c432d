using System.Diagnostics;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>Binary size and dynamic dependencies, beside what the same code needs on the JIT.</summary>
internal static class SizeBench
{
    public const long TargetBytes = 10_000_000;

    public static void Run(BenchOptions options, Report report)
    {
        string x64 = AgentEnvironment.Relative(options, options.Agent);
        var section = report.Add("Binary size and dynamic dependencies",
            $"stat -c %s {x64}\nreadelf -d {x64} | grep NEEDED" +
            (options.AgentArm64 is { } arm ? $"\nstat -c %s {AgentEnvironment.Relative(options, arm)}\nreadelf -d {AgentEnvironment.Relative(options, arm)} | grep NEEDED" : ""));
        long size = new FileInfo(options.Agent).Length;
        section.Row("linux-x64 Native AOT binary", "MB").Add(size / 1e6);
        section.Notes.Add($"linux-x64: {size:N0} bytes; NEEDED: {Needed(options.Agent)}");
        if (options.AgentArm64 is { } arm64)
        {
            long armSize = new FileInfo(arm64).Length;
            section.Row("linux-arm64 Native AOT binary", "MB").Add(armSize / 1e6);
            section.Notes.Add($"linux-arm64: {armSize:N0} bytes; NEEDED: {Needed(arm64)}");
        }
        else section.Notes.Add("linux-arm64: dist/linux-arm64/leoflow-agent not present in this run.");

        // The reference: what the same code needs when it runs on the JIT (framework-dependent build + shared runtime).
        if (options.JitAgent is { } jit && Path.GetDirectoryName(jit) is { } jitDir)
        {
            long assemblies = Directory.EnumerateFiles(jitDir).Where(f => !f.EndsWith(".pdb", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
            string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            long runtime = Directory.EnumerateFiles(runtimeDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            section.Row("reference: JIT build (its directory, no .pdb)", "MB").Add(assemblies / 1e6);
            section.Row("reference: + shared runtime it needs (Microsoft.NETCore.App)", "MB").Add((assemblies + runtime) / 1e6);
            section.Notes.Add($"JIT build: {AgentEnvironment.Relative(options, jitDir)}; shared runtime: {runtimeDir}.");
        }
        section.Notes.Add("Anchor, not measured here: the Go agent this one replaces is about 15 MB.");
        report.Targets.Add(new Target("binary size, linux-x64", "≤ 10 MB (10,000,000 bytes)", $"{size / 1e6:0.00} MB", size <= TargetBytes));
    }

    private static string Needed(string binary)
    {
        var start = new ProcessStartInfo("readelf", ["-d", binary]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var readelf = System.Diagnostics.Process.Start(start) ?? throw new BenchException("readelf did not start");
        string output = readelf.StandardOutput.ReadToEnd();
        readelf.WaitForExit();
        if (readelf.ExitCode != 0) throw new BenchException($"readelf -d {binary} exited with {readelf.ExitCode}");
        var needed = output.Split('\n').Where(l => l.Contains("(NEEDED)", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('[') + 1)..l.LastIndexOf(']')]).ToArray();
        return needed.Length == 0 ? "none (static)" : string.Join(", ", needed);
    }
}
