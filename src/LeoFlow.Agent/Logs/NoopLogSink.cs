using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>Discards every line: for runs that have no log stream at all.</summary>
public sealed class NoopLogSink : ILogSink
{
    public Task OpenAsync() => Task.CompletedTask;
    public ValueTask WriteAsync(LogLine line) => ValueTask.CompletedTask;
    public Task CloseAsync(TimeSpan timeout) => Task.CompletedTask;
}
