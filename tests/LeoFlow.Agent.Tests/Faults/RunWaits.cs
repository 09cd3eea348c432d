using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>Waiting for something while an in-process agent runs in the background.</summary>
internal static class RunWaits
{
    /// <summary>
    /// Waits (bounded) for <paramref name="what"/>; when the run ends first, fails at once with
    /// its result instead of waiting out the timeout.
    /// </summary>
    public static async Task UntilAsync(Task what, Task<AgentRun> agent, string description)
    {
        var first = await Task.WhenAny(what, agent).WaitAsync(Tasks.Timeout);
        if (first == agent && !what.IsCompleted)
        {
            var run = await agent;
            Assert.Fail($"the run ended before {description}: {run.Result.Error}\n{run.Diagnostics}");
        }
        await what;
    }
}
