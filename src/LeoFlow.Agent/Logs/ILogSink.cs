namespace LeoFlow.Agent.Logs;

/// <summary>Where the task log goes: the control plane's StreamLogs, or nowhere in tests.</summary>
public interface ILogSink
{
    /// <summary>
    /// Opens the stream, first thing in the lifecycle. Returns why the control plane cannot be
    /// reached at all, or null.
    /// </summary>
    Task<string?> OpenAsync();

    /// <summary>Queues a line; completes when there is room (back-pressure), never throws.</summary>
    ValueTask WriteAsync(LogRecord record);

    /// <summary>Delivers what is queued, half-closes and drains, within <paramref name="timeout"/>.</summary>
    Task CloseAsync(TimeSpan timeout);
}
