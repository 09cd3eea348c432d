using System.Diagnostics;
using LeoFlow.Bench;
using LeoFlow.Bench.Benchmarks;

// The benchmark driver behind bench/run.sh: measures the agent binary against its references and
// writes docs/benchmarks.md. Exit code 0 when every measurement could be taken (whatever the
// figures), 1 when one failed (a run failed, lines were lost), 2 on bad usage.
var options = Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: LeoFlow.Bench --repo DIR --agent BIN [--agent-arm64 BIN] [--jit BIN] --out FILE --commit TEXT [--quick]\n" +
        "       [--only size,startup,lifecycle,throughput,idle,fleet] [--lines N] [--fleet N] [--agent-env NAME=VALUE]...");
    return 2;
}

var wall = Stopwatch.StartNew();
var report = new Report();
var machine = Machine.Read(options.Agent);
await using var sink = await SinkPlane.StartAsync();

await Step("size", "binary size", () => { SizeBench.Run(options, report); return Task.CompletedTask; });
await Step("startup", "start-up", () => StartupBench.RunAsync(options, sink, report));
await Step("lifecycle", "lifecycle overhead", () => LifecycleBench.RunAsync(options, report));
await Step("throughput", "log throughput and peak RSS", () => ThroughputBench.RunAsync(options, sink, report));
await Step("idle", "idle CPU", () => IdleBench.RunAsync(options, sink, report));
await Step("fleet", "a fleet of agents", () => FleetBench.RunAsync(options, report));

string loadAtEnd = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
string markdown = MarkdownWriter.Render(options, report, machine, wall.Elapsed, loadAtEnd);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
await File.WriteAllTextAsync(options.Output, markdown);
Console.Out.WriteLine();
Console.Out.WriteLine("| what | target | measured | met |");
foreach (var t in report.Targets)
    Console.Out.WriteLine($"| {t.What} | {t.Goal} | {t.Measured} | {(t.Met is null ? "not measured" : t.Met.Value ? "yes" : "no")} |");
Console.Out.WriteLine($"wrote {options.Output} in {wall.Elapsed.TotalSeconds:0} s");
return report.Failures.Count == 0 ? 0 : 1;

async Task Step(string key, string name, Func<Task> measure)
{
    if (!options.Runs(key)) return;
    var clock = Stopwatch.StartNew();
    Console.Out.WriteLine($"bench: {name}…");
    try
    {
        await measure();
        Console.Out.WriteLine($"bench: {name} done in {clock.Elapsed.TotalSeconds:0.0} s");
    }
    catch (BenchException e)
    {
        report.Failures.Add($"{name}: {e.Message}");
        Console.Error.WriteLine($"bench: {name} FAILED: {e.Message}");
    }
}

static BenchOptions? Parse(string[] args)
{
    string? repo = null, agent = null, arm64 = null, jit = null, output = null, commit = null;
    bool quick = false;
    int? lines = null, fleet = null;
    var only = new HashSet<string>(StringComparer.Ordinal);
    var agentEnv = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i < args.Length; i++)
    {
        string? Next() => i + 1 < args.Length ? args[++i] : null;
        switch (args[i])
        {
            case "--quick": quick = true; break;
            case "--repo": repo = Next(); break;
            case "--agent": agent = Next(); break;
            case "--agent-arm64": arm64 = Next(); break;
            case "--jit": jit = Next(); break;
            case "--out": output = Next(); break;
            case "--commit": commit = Next(); break;
            case "--only" when Next() is { } names: only.UnionWith(names.Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
            case "--lines" when int.TryParse(Next(), out int n) && n > 0: lines = n; break;
            case "--fleet" when int.TryParse(Next(), out int f) && f > 0: fleet = f; break;
            case "--agent-env" when Next() is { } pair && pair.IndexOf('=') > 0: agentEnv[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..]; break;
            default: return null;
        }
    }
    if (repo is null || agent is null || output is null || commit is null) return null;
    return new BenchOptions
    {
        Quick = quick,
        Repo = Path.GetFullPath(repo),
        Agent = Path.GetFullPath(agent),
        AgentArm64 = arm64 is null ? null : Path.GetFullPath(arm64),
        JitAgent = jit is null ? null : Path.GetFullPath(jit),
        Output = output,
        Commit = commit,
        Only = only,
        AgentEnvironment = agentEnv,
        LinesOverride = lines,
        FleetOverride = fleet,
    };
}
