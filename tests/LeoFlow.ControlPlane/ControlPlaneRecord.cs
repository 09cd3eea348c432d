using System.Collections.Concurrent;
using Leoflow.Agent.V1;

namespace LeoFlow.ControlPlane;

/// <summary>Everything the agent did to the control plane, in arrival order.</summary>
public sealed class ControlPlaneRecord
{
    private readonly TaskCompletionSource<ReportStateRequest> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly List<LogLine> _lines = [];

    /// <summary>Method names of every authenticated call, in order (StreamLogs when it opened).</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The authorization header of every call, authenticated or not.</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary>TLS only: the TLS side of every authenticated call (SNI name, protocol, client certificate).</summary>
    public ConcurrentQueue<TlsSession> TlsSessions { get; } = new();

    public ConcurrentQueue<ReportStateRequest> States { get; } = new();
    public ConcurrentQueue<RegisterRequest> Registrations { get; } = new();
    public ConcurrentQueue<FetchXComRequest> XComFetches { get; } = new();
    public ConcurrentDictionary<string, PushXComRequest> Pushed { get; } = new();
    public int Heartbeats => _heartbeats;
    public int LogStreams => _streams;

    /// <summary>Raised for every log line as it arrives (the demo prints them live).</summary>
    public event Action<LogLine>? LineReceived;

    private readonly List<(string Method, int Connection, int Stream)> _wire = [];
    private readonly Dictionary<string, int> _connections = [];

    /// <summary>
    /// Method names in the order their requests went out on the wire: by connection, then by
    /// HTTP/2 stream id (which the client assigns in sending order), unlike <see cref="Calls"/>,
    /// whose order is that of concurrently dispatched handlers.
    /// </summary>
    public IReadOnlyList<string> WireOrder
    {
        get { lock (_lock) return _wire.OrderBy(w => w.Connection).ThenBy(w => w.Stream).Select(w => w.Method).ToArray(); }
    }

    internal void AddCall(string method, string connectionId, int streamId)
    {
        Calls.Enqueue(method);
        lock (_lock)
        {
            if (!_connections.TryGetValue(connectionId, out int connection)) _connections[connectionId] = connection = _connections.Count;
            _wire.Add((method, connection, streamId));
        }
    }

    internal int _heartbeats;
    internal int _streams;

    public IReadOnlyList<LogLine> Lines
    {
        get { lock (_lock) return _lines.ToArray(); }
    }

    /// <summary>The first terminal state (SUCCESS, FAILED or SKIPPED) reported.</summary>
    public Task<ReportStateRequest> FinalState => _final.Task;

    internal void AddLine(LogLine line)
    {
        lock (_lock) _lines.Add(line);
        LineReceived?.Invoke(line);
    }

    internal void AddState(ReportStateRequest state)
    {
        States.Enqueue(state);
        if (state.State is TaskState.Success or TaskState.Failed or TaskState.Skipped) _final.TrySetResult(state);
    }
}
