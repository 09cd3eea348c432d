using System.Buffers.Binary;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Tracing.Otlp;

namespace LeoFlow.Agent.Tracing;

/// <summary>
/// The trace of one task instance in the agent: the root span <c>agent.task</c>, a child of the
/// parent the agent was started with (or of none: a new trace), and one child of it per step.
/// The trace is recorded only when there is somewhere to export it and the parent is sampled;
/// otherwise its spans are ids alone, for propagation. Records the ended spans for the exporter
/// and which step is under way, for the diagnostics' span_id.
/// </summary>
public sealed class TaskTrace
{
    public const string RootName = "agent.task";

    private readonly OutgoingText _text;
    private readonly List<TraceSpan> _ended = [];
    private volatile TraceSpan? _current;

    private TaskTrace(TraceContext? parent, bool export, OutgoingText text)
    {
        _text = text;
        if (parent is { } p)
        {
            TraceIdHigh = p.TraceIdHigh;
            TraceIdLow = p.TraceIdLow;
            Sampled = p.Sampled;
            TraceState = p.TraceState;
        }
        else
        {
            // The agent starts the trace (ids never zero), and samples what it starts.
            TraceIdHigh = NewId();
            TraceIdLow = NewId();
            Sampled = true;
        }
        Recording = export && Sampled;
        Span<char> hex = stackalloc char[32];
        TraceContext.WriteHex(hex[..16], TraceIdHigh);
        TraceContext.WriteHex(hex[16..], TraceIdLow);
        TraceId = new string(hex);
        Root = new TraceSpan(this, RootName, Span.Types.SpanKind.Internal, parent?.SpanId ?? 0);
    }

    /// <summary>Starts the trace and its root span.</summary>
    /// <param name="export">Whether the spans will be exported (an OTLP endpoint is configured).</param>
    public static TaskTrace Begin(TraceContext? parent, bool export, OutgoingText text) => new(parent, export, text);

    /// <summary>A trace nobody exports, with a fresh trace id: for runs that are given none.</summary>
    public static TaskTrace Unexported() => new(null, false, new OutgoingText(new Masking.SecretRegistry()));

    public ulong TraceIdHigh { get; }
    public ulong TraceIdLow { get; }

    /// <summary>The trace id as 32 lowercase hex digits.</summary>
    public string TraceId { get; }

    /// <summary>The sampled flag, passed on as it came (a new trace is sampled).</summary>
    public bool Sampled { get; }

    /// <summary>The incoming tracestate, passed on unchanged (null: none).</summary>
    public string? TraceState { get; }

    /// <summary>Times, attributes and statuses are kept for export.</summary>
    public bool Recording { get; }

    public TraceSpan Root { get; }

    /// <summary>The step under way, or the root between steps.</summary>
    public TraceSpan Current => _current ?? Root;

    /// <summary>A step of the agent's own (INTERNAL), child of the root.</summary>
    public TraceSpan Start(string name) => Child(name, Span.Types.SpanKind.Internal);

    /// <summary>A call to the control plane (CLIENT), child of the root.</summary>
    public TraceSpan StartClient(string name) => Child(name, Span.Types.SpanKind.Client);

    /// <summary>Ends the root, with error status and <paramref name="failure"/> when the task failed.</summary>
    public void Finish(string? failure)
    {
        if (failure is not null) Root.Fail(failure);
        Root.End();
    }

    /// <summary>The spans ended so far, in order of their end (the root last once finished); empty when not recorded.</summary>
    public IReadOnlyList<TraceSpan> Ended
    {
        get { lock (_ended) return _ended.ToArray(); }
    }

    private TraceSpan Child(string name, Span.Types.SpanKind kind)
    {
        var span = new TraceSpan(this, name, kind, Root.SpanId);
        _current = span;
        return span;
    }

    internal void OnEnded(TraceSpan span)
    {
        if (_current == span) _current = null;
        if (Recording) lock (_ended) _ended.Add(span);
    }

    internal string Clean(string text) => _text.Clean(text);

    /// <summary>A random non-zero 64-bit id: Random.Shared is seeded from the OS once, and ids need no more.</summary>
    internal static ulong NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            Random.Shared.NextBytes(bytes);
            id = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        while (id == 0);
        return id;
    }

    /// <summary>Wall-clock time in nanoseconds since the Unix epoch, as OTLP wants it.</summary>
    internal static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
