namespace LeoFlow.Agent.Tracing;

/// <summary>Where the trace's spans go once the task is over: the one side effect of tracing.</summary>
public interface ISpanExporter
{
    /// <summary>Sends the ended spans of <paramref name="trace"/>, once. Never throws; bounded (<see cref="OtlpSettings.Bound"/>).</summary>
    Task ExportAsync(TaskTrace trace);
}

/// <summary>No endpoint configured, or export disabled: nothing is sent, and nothing was recorded.</summary>
public sealed class NoSpanExport : ISpanExporter
{
    public static readonly NoSpanExport Instance = new();

    private NoSpanExport() { }

    public Task ExportAsync(TaskTrace trace) => Task.CompletedTask;
}
