namespace LeoFlow.Agent.Logs;

/// <summary>Discards every line: for a lifecycle run without a task log (embedding, experiments).</summary>
public sealed class NoopLogSink : ILogSink
{
    public Task<string?> OpenAsync() => Task.FromResult<string?>(null);
    public void Write(in LogEntry entry) { }
    public void Flush() { }
    public Task CloseAsync(TimeSpan timeout) => Task.CompletedTask;
}
