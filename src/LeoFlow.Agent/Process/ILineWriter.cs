namespace LeoFlow.Agent.Process;

/// <summary>Which of the task's pipes a line came from.</summary>
public enum OutputStream { Stdout, Stderr }

/// <summary>
/// Receives the task's output, one complete line at a time, in pipe order, as the raw bytes the
/// task wrote (without the newline; possibly not valid UTF-8). Called from the pipe's own thread.
/// </summary>
public interface ILineWriter
{
    /// <summary>Queues a line; the bytes are copied before it returns.</summary>
    void WriteLine(OutputStream stream, ReadOnlySpan<byte> line);

    /// <summary>
    /// <paramref name="full"/> is <see cref="LineSplitter.MaxLineBytes"/> of a longer line: queues
    /// its first piece as a line and returns the piece's length (more than 0); the rest begins the
    /// next piece. By default the piece ends at <see cref="LineSplitter.CutPoint"/>; a writer that
    /// masks secrets cuts before a secret rather than through it.
    /// </summary>
    int WritePiece(OutputStream stream, ReadOnlySpan<byte> full)
    {
        int cut = LineSplitter.CutPoint(full);
        WriteLine(stream, full[..cut]);
        return cut;
    }

    /// <summary>
    /// The lines of one pipe read are all written: hand them on as one batch. Blocks while the
    /// log buffer is full, which is how back-pressure reaches the task's pipe.
    /// </summary>
    void Flush();
}
