namespace LeoFlow.Agent.Tests.Harness;

/// <summary>What an in-process agent run left behind, whichever control planes it talked to.</summary>
public sealed record AgentRun(TaskResult Result, string FallbackOutput, string Diagnostics);
