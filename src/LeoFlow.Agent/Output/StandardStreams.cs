using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Output;

/// <summary>
/// The agent's own stdout (the task log's fallback) and stderr (its diagnostics), each a
/// <see cref="NonBlockingOutput"/>: a stuck reader costs lines, never the lifecycle. At exit,
/// <see cref="Finish"/> says what was lost and waits at most <see cref="ExitTimeout"/>.
/// </summary>
internal static class StandardStreams
{
    /// <summary>The longest the agent waits at exit for its queued output to be taken.</summary>
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Task log lines wait up to 5 s for a slow reader (the task is slowed down, as by a pipe),
    /// not for one that takes nothing.
    /// </summary>
    public static NonBlockingOutput Stdout { get; } = new(Descriptor(1), 1024 * 1024, TimeSpan.FromSeconds(5));

    /// <summary>Diagnostics never wait: they are written from the lifecycle itself.</summary>
    public static NonBlockingOutput Stderr { get; } = new(Descriptor(2), 256 * 1024, TimeSpan.Zero);

    /// <summary>
    /// The descriptor itself, not Console's stream: Console serialises all its writes on one lock,
    /// so a stdout nobody reads would block stderr too. A descriptor that is not open is nowhere
    /// to say anything: its writes fail and are dropped (NonBlockingOutput counts them).
    /// </summary>
    private static Stream Descriptor(int fd) => new DescriptorStream(fd);

    /// <summary>Says once what could not be written (on stderr, if it takes it), then waits for both streams within <see cref="ExitTimeout"/>.</summary>
    public static void Finish(IDiagnostics diagnostics)
    {
        if (Stdout.Dropped is > 0 and var log)
            diagnostics.Warn($"{log} task log line(s) were lost: the log stream could not take them and nothing read the agent's stdout");
        if (Stderr.Dropped is > 0 and var own)
            diagnostics.Warn($"{own} diagnostic line(s) were lost: nothing read the agent's stderr");
        var stdout = Task.Run(() => Stdout.Drain(ExitTimeout));
        Stderr.Drain(ExitTimeout);
        stdout.Wait();
    }
}
