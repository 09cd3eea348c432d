namespace LeoFlow.Agent.Process;

/// <summary>The kernel's count of OOM kills where the task runs, read before and after it.</summary>
internal interface IOomKillCounter
{
    /// <summary>The current count, or null when it cannot be known.</summary>
    long? Read();
}
