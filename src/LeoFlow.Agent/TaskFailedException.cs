namespace LeoFlow.Agent;

/// <summary>
/// A reason the task cannot run or did not succeed, worded for the person reading the task log.
/// Raised by the lifecycle's steps and turned into a FAILED report by <see cref="TaskRunner"/>.
/// </summary>
public sealed class TaskFailedException(string message) : Exception(message);
