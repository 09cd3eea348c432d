namespace LeoFlow.ControlPlane;

/// <summary>
/// One thing that happened on the control plane, in arrival order: a call entering ("Heartbeat",
/// "ReportState:SUCCESS") or a state being recorded ("state:SUCCESS"), with how many log lines
/// had arrived by then, so tests can place it relative to the task's log.
/// </summary>
public sealed record ServerEvent(string What, int LinesBefore);
