using LeoFlow.Agent.Rpc;

namespace LeoFlow.Agent.Logs;

/// <summary>A line read back from the log buffer (its time is not needed again).</summary>
public readonly record struct FramedLine(string Stream = "", LogLevel Level = LogLevel.Unspecified, string Message = "", long Number = 0);
