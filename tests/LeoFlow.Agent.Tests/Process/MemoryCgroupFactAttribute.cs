namespace LeoFlow.Agent.Tests.Process;

/// <summary>A test that needs a child memory cgroup of its own (<see cref="MemoryCgroup"/>); skipped, saying why, where there is none.</summary>
public sealed class MemoryCgroupFactAttribute : FactAttribute
{
    public MemoryCgroupFactAttribute()
    {
        if (MemoryCgroup.Unavailable is { } why) Skip = "no real OOM kill here: " + why;
    }
}
