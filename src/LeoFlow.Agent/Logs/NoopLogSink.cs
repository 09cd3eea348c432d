namespace LeoFlow.Agent.Logs;

/// <summary>Discards every line: for runs that have no log stream at all.</summary>
public sealed class NoopLogSink : ILogSink
{
    public Task<string?> OpenAsync() => Task.FromResult<string?>(null);
    public ValueTask WriteAsync(LogRecord record) => ValueTask.CompletedTask;
    public Task CloseAsync(TimeSpan timeout) => Task.CompletedTask;
}
