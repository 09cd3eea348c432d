using System.Collections.Concurrent;
using System.Diagnostics;
using Leoflow.Agent.V1;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>
/// A fleet: N copies of the agent (100 by default) against one control plane (FleetPlane), each
/// running a task that writes steadily for a few seconds; once as it is, once with the control
/// plane stopped at once shortly after the start and started again 3 s later. Counts what a
/// cluster cares about: tasks that succeeded, lines lost or repeated, how the agents' attempts to
/// re-open their log streams bunch up (the most agents attempting in any 100 ms, from each
/// agent's own diagnostics for the failed attempts and the plane for the one that succeeds), how
/// long after the plane is back every broken log stream is open again, and each agent's peak RSS
/// and CPU.
/// </summary>
internal static class FleetBench
{
    /// <summary>The target: no 100 ms window holds more than this share of the agents' reconnects.</summary>
    public const double TargetPeakShare = 1.0 / 3;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        int agents = options.FleetAgents;
        int bursts = options.Quick ? 8 : 20, perBurst = 20;
        int lines = bursts * perBurst;
        var spec = new TaskSpec
        {
            Operator = "bash",
            // Steady output: a burst of 20 numbered lines every 0.2 s.
            Entrypoint = $"for b in $(seq 0 {bursts - 1}); do seq $((b*{perBurst}+1)) $((b*{perBurst}+{perBurst})); sleep 0.2; done",
        };
        string agent = AgentEnvironment.Relative(options, options.Agent);
        var section = report.Add($"A fleet: {agents} agents, one control plane, without and with a restart",
            $"# {agents} × ({AgentEnvironment.Shell(options).Replace(BenchOptions.Token, "fleet-agent-NNNN", StringComparison.Ordinal)} {agent}), started together\n" +
            $"# task: bash -c '{spec.Entrypoint}' ({lines} lines in about {bursts * 0.2:0.#} s)\n" +
            $"# control plane: bench/LeoFlow.Bench/FleetPlane.cs; restart: stopped {StopAfter(options).TotalSeconds:0.#} s after the last agent started, started again {Outage.TotalSeconds:0} s later");
        foreach (bool restart in new[] { false, true })
        {
            string phase = restart ? "with a restart" : "steady";
            var run = await RunFleetAsync(options, spec, agents, restart);
            section.Row($"{phase}: tasks that ended SUCCESS (of {agents})", "tasks").Add(run.Succeeded);
            foreach (var failure in run.Failures) section.Notes.Add($"{phase}: {failure}");
            section.Row($"{phase}: stdout lines lost (of {agents * lines:N0})", "lines").Add(run.Lost);
            section.Row($"{phase}: stdout lines received twice or more (re-sent after a re-open)", "lines").Add(run.Repeated);
            var rss = section.Row($"{phase}: peak RSS per agent", "MB");
            foreach (var kib in run.PeakRssKib) rss.Add(kib * 1024 / 1e6);
            var cpu = section.Row($"{phase}: CPU per agent (utime+stime, whole lifecycle)", "ms");
            foreach (var ticks in run.CpuTicks) cpu.Add(ticks / ProcFs.TicksPerSecond * 1000);
            if (!restart) continue;
            section.Row("with a restart: most agents attempting to re-open their log stream in one 100 ms window", "agents").Add(run.PeakAttempts);
            section.Row("with a restart: that as a share of the agents", "%").Add(100.0 * run.PeakAttempts / agents);
            section.Row("with a restart: TCP connections opened from the stop to back + 10 s (all calls)", "connections").Add(run.Connections);
            section.Row("with a restart: control plane back → the last broken log stream open again", "ms").Add(run.ReopenedMs);
            section.Notes.Add($"Restart: {run.Reconnecting} agents had a log stream open when the plane stopped; " +
                $"{run.Attempts} log-stream re-open attempts in all, the busiest 100 ms window starting {run.PeakAt:0.0} s after the stop.");
            report.Targets.Add(new Target($"a fleet: {agents} agents, control plane restarted mid-run",
                "every task SUCCESS, zero lines lost, no 100 ms window with more than a third of the reconnects",
                $"{run.Succeeded} of {agents} SUCCESS, {run.Lost} lost, busiest 100 ms: {run.PeakAttempts} agents re-opening ({100.0 * run.PeakAttempts / agents:0}%)",
                run.Succeeded == agents && run.Lost == 0 && run.PeakAttempts <= agents * TargetPeakShare));
            if (run.Lost > 0) throw new BenchException($"the fleet lost {run.Lost} lines across the restart");
        }
        section.Notes.Add("Lines lost counts stdout line numbers that reached neither the control plane nor the agent's own stdout fallback.");
    }

    private static TimeSpan StopAfter(BenchOptions options) => TimeSpan.FromSeconds(options.Quick ? 0.5 : 1);

    private sealed record FleetRun(int Succeeded, int Lost, int Repeated, long[] PeakRssKib, long[] CpuTicks,
        int Attempts, int PeakAttempts, double PeakAt, int Reconnecting, double ReopenedMs, int Connections, List<string> Failures);

    private static async Task<FleetRun> RunFleetAsync(BenchOptions options, TaskSpec spec, int count, bool restart)
    {
        var children = new ConcurrentDictionary<string, Child>(StringComparer.Ordinal);
        await using var plane = await FleetPlane.StartAsync(spec, auth => { if (children.TryGetValue(auth, out var c)) c.SampleFinal(); });
        var started = new List<(string Token, Child Child)>();
        try
        {
            for (int i = 1; i <= count; i++)
            {
                string token = $"fleet-agent-{i:D4}";
                var env = AgentEnvironment.For(options, plane.Address);
                env["LEOFLOW_AGENT_TOKEN"] = token;
                // All of its stdout: lines the log stream could not take go there, and count as delivered.
                var child = Child.Start(options.Agent, [], env, samplePeakRss: true, stdoutLimit: 1 << 24);
                children["Bearer " + token] = child;
                started.Add((token, child));
            }
            long stop = 0, back = 0;
            DateTime stopWall = default;
            if (restart)
            {
                await Task.Delay(StopAfter(options));
                stop = Stopwatch.GetTimestamp();
                stopWall = DateTime.UtcNow;
                await plane.DownAsync();
                await Task.Delay(Outage);
                back = Stopwatch.GetTimestamp();   // from here the port may answer again
                await plane.UpAsync();
            }
            await Task.WhenAll(started.Select(s => s.Child.WaitAsync()));
            int succeeded = 0, lost = 0, repeated = 0, reconnecting = 0;
            double reopened = 0;
            var attempts = new List<(double At, int Agent)>();
            var failures = new List<string>();
            int lines = ParseLines(spec);
            foreach (var (token, child) in started)
            {
                var delivered = plane.Agents.GetValueOrDefault("Bearer " + token) ?? new FleetAgent();
                int missing = LostLines(delivered, lines, child.Stdout);
                if (child.ExitCode == 0 && delivered.Final == TaskState.Success) succeeded++;
                if ((child.ExitCode != 0 || missing > 0) && failures.Count < 3)
                    failures.Add($"{token}: exit {child.ExitCode}, {missing} lines lost; its last diagnostic: {LastLine(child.Stderr)}");
                lost += missing;
                repeated += delivered.Repeated();
                if (!restart) continue;
                var opens = delivered.StreamOpens.ToArray();
                if (!opens.Any(o => o < stop)) continue;
                reconnecting++;
                int id = started.FindIndex(s => s.Token == token);
                foreach (var failed in FailedOpens(child.Stderr)) attempts.Add(((failed - stopWall).TotalSeconds, id));
                foreach (var open in opens.Where(o => o > stop)) attempts.Add((Stopwatch.GetElapsedTime(stop, open).TotalSeconds, id));
                if (opens.Where(o => o > back).DefaultIfEmpty(0).Min() is var first && first > 0)
                    reopened = Math.Max(reopened, Stopwatch.GetElapsedTime(back, first).TotalMilliseconds);
            }
            var (peak, peakAt) = Bunching(attempts);
            int connections = restart ? plane.Connections.Count(c => c >= stop && c <= back + Stopwatch.Frequency * 10) : 0;
            return new FleetRun(succeeded, lost, repeated, started.Select(s => s.Child.PeakRssKib).ToArray(), started.Select(s => s.Child.CpuTicks).ToArray(),
                attempts.Count, peak, peakAt, reconnecting, reopened, connections, failures);
        }
        finally
        {
            foreach (var (_, child) in started) child.Dispose();
        }
    }

    /// <summary>The most distinct agents with an attempt in any 100 ms window, and when (s after the stop) that window starts.</summary>
    private static (int Peak, double At) Bunching(List<(double At, int Agent)> attempts)
    {
        var sorted = attempts.OrderBy(a => a.At).ToArray();
        int peak = 0;
        double at = 0;
        for (int i = 0, j = 0; i < sorted.Length; i++)
        {
            while (sorted[i].At - sorted[j].At >= 0.1) j++;
            int agents = sorted[j..(i + 1)].Select(a => a.Agent).Distinct().Count();
            if (agents > peak) { peak = agents; at = sorted[j].At; }
        }
        return (peak, at);
    }

    /// <summary>When the agent's failed attempts to open its log stream were (its warnings' times).</summary>
    private static IEnumerable<DateTime> FailedOpens(string diagnostics)
    {
        foreach (var line in diagnostics.Split('\n'))
        {
            if (!line.Contains("\"msg\":\"log stream could not be opened", StringComparison.Ordinal)) continue;
            using var json = System.Text.Json.JsonDocument.Parse(line);
            yield return json.RootElement.GetProperty("time").GetDateTime().ToUniversalTime();
        }
    }

    /// <summary>Line numbers of the task's output that reached neither the plane nor the agent's stdout fallback ("[stdout INFO] N").</summary>
    private static int LostLines(FleetAgent delivered, int lines, string agentStdout)
    {
        var fallback = new HashSet<long>();
        foreach (var line in agentStdout.Split('\n'))
            if (line.StartsWith("[stdout INFO] ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(14), out long n)) fallback.Add(n);
        return Enumerable.Range(1, lines).Count(n => !delivered.Has(n) && !fallback.Contains(n));
    }

    private static string LastLine(string text) => text.TrimEnd().Split('\n')[^1];

    private static int ParseLines(TaskSpec spec)
    {
        // "for b in $(seq 0 B-1); do seq $((b*P+1)) $((b*P+P)); …": B bursts of P lines.
        var m = System.Text.RegularExpressions.Regex.Match(spec.Entrypoint, @"seq 0 (\d+)\); do seq \$\(\(b\*(\d+)\+1\)\)");
        return (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1) * int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
