namespace LeoFlow.Agent;

/// <summary>How the lifecycle ended: success, or failure with the reason.</summary>
public sealed class TaskResult(bool succeeded, string? error)
{
    public bool Succeeded { get; } = succeeded;
    public string? Error { get; } = error;

    public static readonly TaskResult Success = new(true, null);
    public static TaskResult Failure(string error) => new(false, error);
}
