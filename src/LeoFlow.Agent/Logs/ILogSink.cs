namespace LeoFlow.Agent.Logs;

/// <summary>Where the task log goes: the control plane's StreamLogs (<see cref="GrpcLogSink"/>, which falls back to the agent's stdout).</summary>
public interface ILogSink
{
    /// <summary>
    /// Opens the stream, first thing in the lifecycle. Returns why the control plane cannot be
    /// reached at all, or null.
    /// </summary>
    Task<string?> OpenAsync();

    /// <summary>Queues a line (its bytes are copied); never throws.</summary>
    void Write(in LogEntry entry);

    /// <summary>
    /// Hands the queued lines on as one batch. Blocks while the buffer is full: the one place
    /// where a slow control plane pushes back, so writing and flushing are two steps.
    /// </summary>
    void Flush();

    /// <summary>Delivers what is queued, half-closes and drains, within <paramref name="timeout"/>.</summary>
    Task CloseAsync(TimeSpan timeout);
}
