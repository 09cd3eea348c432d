namespace LeoFlow.Agent;

/// <summary>
/// A reason the task cannot run or did not succeed, worded for the person reading the task log.
/// Raised by the lifecycle's steps and turned into a FAILED report by <see cref="TaskRunner"/>.
/// </summary>
public sealed class TaskFailedException(string message, int exitCode = 0) : Exception(message)
{
    /// <summary>The exit code to report with the FAILED state.</summary>
    public int ExitCode { get; } = exitCode;
}
