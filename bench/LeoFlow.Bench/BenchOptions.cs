namespace LeoFlow.Bench;

/// <summary>Sizes and repetitions: full mode for docs/benchmarks.md, quick mode for CI (well under two minutes).</summary>
internal sealed record BenchOptions
{
    public required bool Quick { get; init; }
    public required string Repo { get; init; }
    public required string Agent { get; init; }
    public string? AgentArm64 { get; init; }
    public string? JitAgent { get; init; }
    public required string Output { get; init; }
    public required string Commit { get; init; }

    /// <summary>Benchmarks to run (size, startup, lifecycle, throughput, idle, fleet); empty: all.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Extra variables for the agent only (e.g. DOTNET_GCgen0size to try a GC setting), quoted in the report.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();

    public bool Runs(string benchmark) => Only.Count == 0 || Only.Contains(benchmark);

    public int StartupRuns => Quick ? 5 : 30;
    public int LifecycleRuns => Quick ? 10 : 30;
    public int WarmupRuns => 2;
    public int ThroughputLines => LinesOverride ?? (Quick ? 100_000 : 1_000_000);

    /// <summary>--lines: another size for the throughput runs (profiling).</summary>
    public int? LinesOverride { get; init; }
    public int ThroughputRuns => Quick ? 3 : 7;
    public int DevPlaneThroughputRuns => Quick ? 2 : 5;
    public int IdleRuns => Quick ? 2 : 3;

    /// <summary>Agents in the fleet benchmark (--fleet N).</summary>
    public int FleetAgents => FleetOverride ?? (Quick ? 20 : 100);

    /// <summary>--fleet: another fleet size.</summary>
    public int? FleetOverride { get; init; }
    public TimeSpan IdleWindow => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);

    /// <summary>Bytes per task log line, the newline included.</summary>
    public const int LineBytes = 100;

    /// <summary>The token both control planes accept.</summary>
    public const string Token = "bench-token";
}
