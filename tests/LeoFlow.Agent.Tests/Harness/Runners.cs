using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>Command runners for a test host, which spawns other processes too.</summary>
internal static class Runners
{
    /// <summary>Reaps only the children it spawned (no waitpid(-1)) and sees no OOM kills.</summary>
    public static PosixCommandRunner OwnChildren(TimeSpan gracePeriod) =>
        new(new ChildReaper(reapOrphans: false), gracePeriod, CgroupOomKills.None);
}
