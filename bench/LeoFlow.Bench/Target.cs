namespace LeoFlow.Bench;

/// <summary>A target of the project's and whether this run met it (null: not measured).</summary>
internal sealed record Target(string What, string Goal, string Measured, bool? Met);
