namespace LeoFlow.Agent;

/// <summary>How the lifecycle ended: success, or failure with the reason.</summary>
public sealed record TaskResult(bool Succeeded, string? Error)
{
    public static readonly TaskResult Success = new(true, null);
    public static TaskResult Failure(string error) => new(false, error);
}
