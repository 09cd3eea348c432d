using System.Diagnostics;
using Leoflow.Agent.V1;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>
/// exec → first RPC: the Stopwatch timestamp taken just before Process.Start, to the one the
/// minimal sink takes when the headers of the agent's first request (StreamLogs) have arrived.
/// Native AOT and the same code on the JIT, runs interleaved so both see the same machine.
/// </summary>
internal static class StartupBench
{
    public const double TargetMs = 10, TargetRatio = 10;

    public static async Task RunAsync(BenchOptions options, SinkPlane sink, Report report)
    {
        var variants = new List<(string Name, string Path)> { ("Native AOT", options.Agent) };
        if (options.JitAgent is { } jit) variants.Add(("JIT", jit));
        var section = report.Add("Start-up: exec → first RPC received",
            string.Join('\n', variants.Select(v => $"{AgentEnvironment.Shell(options)} {AgentEnvironment.Relative(options, v.Path)}")) +
            "\n# task: bash -c true, served by the minimal sink (bench/LeoFlow.Bench/SinkPlane.cs)");
        var firstRpc = variants.Select(v => section.Row($"{v.Name}: exec → first request headers (StreamLogs)", "ms")).ToArray();
        var connect = variants.Select(v => section.Row($"{v.Name}: exec → TCP connection accepted", "ms")).ToArray();
        var exit = variants.Select(v => section.Row($"{v.Name}: exec → exit (whole lifecycle)", "ms")).ToArray();
        var spec = new TaskSpec { Operator = "bash", Entrypoint = "true" };

        for (int run = -options.WarmupRuns; run < options.StartupRuns; run++)
        {
            for (int v = 0; v < variants.Count; v++)
            {
                var sinkRun = sink.Begin(spec);
                using var agent = Child.Start(variants[v].Path, [], AgentEnvironment.For(options, sink.Address));
                await agent.WaitSuccessAsync($"{variants[v].Name} agent");
                if (sinkRun.FirstRequest == 0) throw new BenchException($"{variants[v].Name} agent exited without calling the control plane");
                if (run < 0) continue;   // warm-up: page cache, the sink's own JIT
                firstRpc[v].Add(Stopwatch.GetElapsedTime(agent.ExecTimestamp, sinkRun.FirstRequest).TotalMilliseconds);
                connect[v].Add(Stopwatch.GetElapsedTime(agent.ExecTimestamp, sinkRun.FirstConnection).TotalMilliseconds);
                exit[v].Add(agent.ExecToExitMs);
            }
        }

        double aot = firstRpc[0].Median;
        report.Targets.Add(new Target("exec → first RPC (Native AOT)", $"≤ {TargetMs} ms", $"{aot:0.00} ms (median; min {firstRpc[0].Min:0.00} ms)", aot <= TargetMs));
        section.Notes.Add($"{options.StartupRuns} runs per variant after {options.WarmupRuns} warm-up runs each; both timestamps from one Stopwatch in the bench process.");
        if (variants.Count > 1)
        {
            double ratio = firstRpc[1].Median / aot;
            section.Notes.Add($"JIT / Native AOT, median exec → first RPC: {ratio:0.0}×.");
            report.Targets.Add(new Target("AOT start-up vs JIT (exec → first RPC)", $"≥ {TargetRatio}× faster", $"{ratio:0.0}× faster", ratio >= TargetRatio));
        }
        else report.Targets.Add(new Target("AOT start-up vs JIT (exec → first RPC)", $"≥ {TargetRatio}× faster", "JIT build not given", null));
    }
}
