namespace LeoFlow.Agent.Process;

/// <summary>What to run: argv (argv[0] resolved on <paramref name="SearchPath"/>) and the full environment.</summary>
public sealed class ProcessSpec(IReadOnlyList<string> argv, IReadOnlyList<string> environment, string? searchPath)
{
    public IReadOnlyList<string> Argv { get; } = argv;
    public IReadOnlyList<string> Environment { get; } = environment;
    public string? SearchPath { get; } = searchPath;
}

/// <summary>
/// How the task ended: <paramref name="ExitCode"/> in the shell's convention (128+N when killed
/// by signal N, 126/127 when it could not be executed), <paramref name="Signal"/> N or 0,
/// <paramref name="StartError"/> when it never ran, <paramref name="OomKills"/>, how many
/// processes the kernel's OOM killer killed in the agent's cgroup while the task ran, and
/// <paramref name="Stopped"/>, whether termination began before the task ended (a stop request
/// that comes after the end does not make a finished task a terminated one).
/// </summary>
public readonly struct ProcessExit(int exitCode, int signal, string? startError, long oomKills = 0, bool stopped = false)
{
    public int ExitCode { get; init; } = exitCode;
    public int Signal { get; init; } = signal;
    public string? StartError { get; init; } = startError;
    public long OomKills { get; init; } = oomKills;
    public bool Stopped { get; init; } = stopped;
}

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
