namespace LeoFlow.Agent.Process;

/// <summary>Which of the task's pipes a line came from.</summary>
public enum OutputStream { Stdout, Stderr }

/// <summary>Receives the task's output, one complete line at a time, in pipe order.</summary>
public interface ILineWriter
{
    /// <summary>Completes when the line is queued; awaiting it is how back-pressure reaches the pipe.</summary>
    ValueTask WriteLineAsync(OutputStream stream, string line);
}
