namespace LeoFlow.Agent.Process;

/// <summary>What to run: argv (argv[0] resolved on <paramref name="SearchPath"/>) and the full environment.</summary>
public sealed record ProcessSpec(IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string? SearchPath);

/// <summary>
/// How the task ended: <paramref name="ExitCode"/> in the shell's convention (128+N when killed
/// by signal N, 126/127 when it could not be executed), <paramref name="Signal"/> N or 0,
/// <paramref name="StartError"/> when it never ran, <paramref name="OomKills"/>, how many
/// processes the kernel's OOM killer killed in the agent's cgroup while the task ran, and
/// <paramref name="Stopped"/>, whether termination began before the task ended (a stop request
/// that comes after the end does not make a finished task a terminated one).
/// </summary>
public readonly record struct ProcessExit(int ExitCode, int Signal, string? StartError, long OomKills = 0, bool Stopped = false);

/// <summary>Runs the task's process to its end, streaming its output.</summary>
public interface ICommandRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/>; cancelling <paramref name="terminate"/> stops the task
    /// gracefully (SIGTERM, then SIGKILL after a grace period). Never throws for the task's own
    /// failures; they are in the returned exit.
    /// </summary>
    Task<ProcessExit> RunAsync(ProcessSpec spec, ILineWriter output, CancellationToken terminate);
}
