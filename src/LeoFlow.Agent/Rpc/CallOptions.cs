namespace LeoFlow.Agent.Rpc;

/// <summary>A call's deadline (from when it starts) and the token that abandons it.</summary>
public readonly record struct CallOptions(TimeSpan Timeout, CancellationToken CancellationToken = default);
