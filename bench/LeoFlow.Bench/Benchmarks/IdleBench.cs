using Leoflow.Agent.V1;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>
/// The agent's CPU while its task is silent (sleep): utime+stime and schedstat of the agent
/// process over a window that starts 1 s after the task started and ends before it exits, so
/// neither start-up nor the final report is in it.
/// </summary>
internal static class IdleBench
{
    public const double TargetPercent = 0.1;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(BenchOptions options, SinkPlane sink, Report report)
    {
        var window = options.IdleWindow;
        int sleep = (int)Math.Ceiling((Settle + window).TotalSeconds) + 1;
        var section = report.Add($"Idle CPU of the agent over {window.TotalSeconds:0} s of a silent task",
            $"{AgentEnvironment.Shell(options)} {AgentEnvironment.Relative(options, options.Agent)}\n" +
            $"# task: bash -c 'sleep {sleep}', served by the minimal sink; window: from 1 s after the \"task started\" line, {window.TotalSeconds:0} s long\n" +
            "# utime+stime from /proc/<agent pid>/stat; on-CPU ns and voluntary_ctxt_switches summed over /proc/<agent pid>/task/*/{schedstat,status}");
        var ticks = section.Row("agent CPU, utime+stime (10 ms ticks)", "ms");
        var precise = section.Row("agent CPU, schedstat", "ms");
        var percent = section.Row("agent CPU, schedstat, share of one core", "%");
        var switches = section.Row("agent wake-ups in the window (voluntary context switches)", "count");
        var rss = section.Row("agent peak RSS with a silent task", "MB");
        var spec = new TaskSpec { Operator = "bash", Entrypoint = $"sleep {sleep}" };

        for (int run = 0; run < options.IdleRuns; run++)
        {
            var sinkRun = sink.Begin(spec);
            using var agent = Child.Start(options.Agent, [], AgentEnvironment.For(options, sink.Address));
            await sinkRun.FirstFrameArrived.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(Settle);
            var (cpu0, threads0, clock0) = Sample(agent.Pid);
            await Task.Delay(window);
            var (cpu1, threads1, clock1) = Sample(agent.Pid);
            rss.Add((ProcFs.PeakRssKib(agent.Pid) ?? 0) * 1024 / 1e6);
            await agent.WaitSuccessAsync("agent");
            double seconds = (clock1 - clock0) / (double)System.Diagnostics.Stopwatch.Frequency;
            ticks.Add((cpu1 - cpu0) * 1000 / ProcFs.TicksPerSecond);
            precise.Add((threads1.CpuNs - threads0.CpuNs) / 1e6);
            percent.Add((threads1.CpuNs - threads0.CpuNs) / 1e9 / seconds * 100);
            switches.Add(threads1.Switches - threads0.Switches);
            if (threads1.Threads != threads0.Threads)
                section.Notes.Add($"run {run + 1}: the agent's thread count went from {threads0.Threads} to {threads1.Threads} in the window (schedstat misses exited threads).");
        }
        section.Notes.Add($"{options.IdleRuns} runs. No heartbeat falls in the window (the first goes at RUNNING, the next after 15 s).");
        report.Targets.Add(new Target("idle CPU while a silent task runs", $"~0 (here: ≤ {TargetPercent}% of a core)",
            $"{percent.Median:0.000}% of a core (median), {switches.Median:0} wake-ups in {window.TotalSeconds:0} s", percent.Median <= TargetPercent));
    }

    private static (long Cpu, (long CpuNs, long Switches, int Threads) Threads, long Clock) Sample(int pid)
    {
        long clock = System.Diagnostics.Stopwatch.GetTimestamp();
        long cpu = ProcFs.CpuTicks(pid) ?? throw new BenchException("the agent exited during the idle window");
        var threads = ProcFs.Threads(pid) ?? throw new BenchException("the agent exited during the idle window");
        return (cpu, threads, clock);
    }
}
