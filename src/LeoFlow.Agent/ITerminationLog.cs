namespace LeoFlow.Agent;

/// <summary>Where the one-line reason for a failed run goes for the container's orchestrator.</summary>
internal interface ITerminationLog
{
    void Write(string reason);
}
