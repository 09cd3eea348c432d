using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>Where the task log goes: the control plane's StreamLogs, or nowhere in tests.</summary>
public interface ILogSink
{
    /// <summary>Opens the stream; completes once it is on the wire (or failed). Called once, first thing.</summary>
    Task OpenAsync();

    /// <summary>Queues a line; completes when there is room (back-pressure), never throws.</summary>
    ValueTask WriteAsync(LogLine line);

    /// <summary>Delivers what is queued, half-closes and drains, within <paramref name="timeout"/>.</summary>
    Task CloseAsync(TimeSpan timeout);
}
