using Leoflow.Agent.V1;
using LeoFlow.ControlPlane;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>
/// The whole lifecycle's cost: the agent running <c>bash -c true</c> against the dev control plane
/// (exec → agent exit) against <c>bash -c true</c> started directly, runs interleaved.
/// </summary>
internal static class LifecycleBench
{
    public const double TargetMs = 25;

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var script = new ControlPlaneScript { Token = BenchOptions.Token, Spec = new TaskSpec { Operator = "bash", Entrypoint = "true" } };
        await using var plane = await DevControlPlane.StartAsync(script);
        var section = report.Add("Lifecycle overhead: bash -c true through the agent vs directly",
            $"{AgentEnvironment.Shell(options)} {AgentEnvironment.Relative(options, options.Agent)}\n" +
            "# task: bash -c true, served by the dev control plane (tests/LeoFlow.ControlPlane)\n" +
            "bash -c true   # the reference, started the same way (Process.Start, output redirected)");
        var agentRow = section.Row("agent: exec → exit (register, spec, RUNNING, heartbeat, run, log, SUCCESS)", "ms");
        var directRow = section.Row("reference: bash -c true, exec → exit", "ms");
        var env = AgentEnvironment.For(options, plane.Address);

        for (int run = -options.WarmupRuns; run < options.LifecycleRuns; run++)
        {
            int before = plane.Record.States.Count;
            using (var agent = Child.Start(options.Agent, [], env))
            {
                await agent.WaitSuccessAsync("agent");
                if (plane.Record.States.Count < before + 2) throw new BenchException("the agent exited 0 without reporting RUNNING and SUCCESS");
                if (run >= 0) agentRow.Add(agent.ExecToExitMs);
            }
            using (var direct = Child.Start("bash", ["-c", "true"], env))
            {
                await direct.WaitSuccessAsync("bash -c true");
                if (run >= 0) directRow.Add(direct.ExecToExitMs);
            }
        }
        double overhead = agentRow.Median - directRow.Median;
        section.Notes.Add($"{options.LifecycleRuns} runs each after {options.WarmupRuns} warm-up runs. Overhead (difference of medians): {overhead:0.00} ms; ratio {agentRow.Median / directRow.Median:0.0}×.");
        report.Targets.Add(new Target("lifecycle overhead on bash -c true", $"≤ {TargetMs} ms", $"{overhead:0.00} ms (median difference)", overhead <= TargetMs));
    }
}
