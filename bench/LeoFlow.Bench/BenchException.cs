namespace LeoFlow.Bench;

/// <summary>A measurement that could not be taken (a run failed, lost lines, a tool is missing).</summary>
internal sealed class BenchException(string message) : Exception(message);
