using Google.Protobuf.Collections;
using LeoFlow.Agent.Tracing.Otlp;

namespace LeoFlow.Agent.Tracing;

/// <summary>
/// One span of the agent's trace: its ids, which always exist (they are what the traceparent
/// of an RPC or of the task names), and, only when the trace is recorded for export, its times,
/// attributes and status. Ended by <see cref="End"/> or Dispose, once; setters on an unrecorded
/// span do nothing.
/// </summary>
public sealed class TraceSpan : IDisposable
{
    private readonly TaskTrace _trace;
    private string? _spanIdHex;
    private int _ended;

    internal TraceSpan(TaskTrace trace, string name, Span.Types.SpanKind kind, ulong parentSpanId)
    {
        _trace = trace;
        Name = name;
        Kind = kind;
        SpanId = TaskTrace.NewId();
        ParentSpanId = parentSpanId;
        if (trace.Recording)
        {
            Attributes = [];
            StartUnixNano = TaskTrace.Now();
        }
    }

    public string Name { get; }
    public Span.Types.SpanKind Kind { get; }

    /// <summary>A call to the control plane: <see cref="ControlPlaneCalls"/> records its outcome.</summary>
    public bool IsClient => Kind == Span.Types.SpanKind.Client;
    public ulong SpanId { get; }

    /// <summary>The parent's id; 0 for a root span without a parent.</summary>
    public ulong ParentSpanId { get; }

    public long StartUnixNano { get; }
    public long EndUnixNano { get; private set; }

    /// <summary>The attributes, in the order set; null when the trace is not recorded.</summary>
    public RepeatedField<KeyValue>? Attributes { get; }

    /// <summary>The error status's one-line reason (through OutgoingText); null: no error.</summary>
    public string? Error { get; private set; }

    public TaskTrace Trace => _trace;

    /// <summary>The span id as 16 lowercase hex digits.</summary>
    public string SpanIdHex => _spanIdHex ??= Hex(SpanId);

    /// <summary>The traceparent naming this span: version 00, the trace's sampled flag.</summary>
    public string TraceParent => string.Concat("00-", _trace.TraceId, "-", SpanIdHex, _trace.Sampled ? "-01" : "-00");

    public TraceSpan Set(string key, string value) => Add(key, Attributes is null ? null : new AnyValue { StringValue = _trace.Clean(value) });
    public TraceSpan Set(string key, long value) => Add(key, Attributes is null ? null : new AnyValue { IntValue = value });
    public TraceSpan Set(string key, bool value) => Add(key, Attributes is null ? null : new AnyValue { BoolValue = value });
    public TraceSpan Set(string key, double value) => Add(key, Attributes is null ? null : new AnyValue { DoubleValue = value });

    /// <summary>Error status with <paramref name="reason"/>, redacted and escaped; a later reason replaces an earlier one.</summary>
    public void Fail(string reason)
    {
        if (Attributes is not null) Error = _trace.Clean(reason);
    }

    public void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        if (Attributes is not null) EndUnixNano = TaskTrace.Now();
        _trace.OnEnded(this);
    }

    public void Dispose() => End();

    private TraceSpan Add(string key, AnyValue? value)
    {
        if (value is not null) lock (Attributes!) Attributes.Add(new KeyValue { Key = key, Value = value });
        return this;
    }

    internal static string Hex(ulong value)
    {
        Span<char> hex = stackalloc char[16];
        TraceContext.WriteHex(hex, value);
        return new string(hex);
    }
}
