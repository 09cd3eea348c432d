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

    /// <summary>
    /// The request headers of every authenticated call, in arrival order, under the call's key
    /// ("Register", "ReportState:RUNNING", "StreamLogs"): what trace context each one carried.
    /// </summary>
    public ConcurrentQueue<CallHeaders> Headers { get; } = new();

    /// <summary>TLS only: the TLS side of every authenticated call (SNI name, protocol, client certificate).</summary>
    public ConcurrentQueue<TlsSession> TlsSessions { get; } = new();

    /// <summary>Method names of every call, authenticated or not, in order of arrival.</summary>
    public ConcurrentQueue<string> Attempts { get; } = new();

    /// <summary>Every unary request as it arrived, authenticated or not; the log stream's lines are in <see cref="Lines"/>.</summary>
    public ConcurrentQueue<Google.Protobuf.IMessage> Requests { get; } = new();

    /// <summary>Every message the agent sent: the unary requests and the log lines.</summary>
    public IReadOnlyList<Google.Protobuf.IMessage> AllMessages => [.. Requests, .. Lines];

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

    /// <summary>How many TCP connections the calls came on (HttpContext.Connection.Id).</summary>
    public int Connections
    {
        get { lock (_lock) return _connections.Count; }
    }

    private readonly List<ServerEvent> _events = [];
    private readonly Dictionary<string, int> _callCounts = [];
    private readonly List<(string Method, int Count, TaskCompletionSource Done)> _callWaiters = [];
    private readonly List<(Func<LogLine, bool> Match, TaskCompletionSource Done)> _lineWaiters = [];

    /// <summary>Calls entering and states recorded, in order (see <see cref="ServerEvent"/>).</summary>
    public IReadOnlyList<ServerEvent> Events
    {
        get { lock (_lock) return _events.ToArray(); }
    }

    /// <summary>Completes once <paramref name="method"/> was called (authenticated) <paramref name="count"/> times in all.</summary>
    public Task WhenCalledAsync(string method, int count, CancellationToken cancel = default)
    {
        lock (_lock)
        {
            if (_callCounts.GetValueOrDefault(method) >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _callWaiters.Add((method, count, done));
            return done.Task.WaitAsync(cancel);
        }
    }

    /// <summary>The number of authenticated calls of <paramref name="method"/> so far.</summary>
    public int CallCount(string method)
    {
        lock (_lock) return _callCounts.GetValueOrDefault(method);
    }

    /// <summary>Completes once a line matching <paramref name="match"/> arrived (or had already).</summary>
    public Task WhenLineAsync(Func<LogLine, bool> match, CancellationToken cancel = default)
    {
        lock (_lock)
        {
            if (_lines.Any(match)) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _lineWaiters.Add((match, done));
            return done.Task.WaitAsync(cancel);
        }
    }

    internal void AddAttempt(string method) => Attempts.Enqueue(method);

    internal void AddCall(string method, string qualified, string connectionId, int streamId)
    {
        Calls.Enqueue(method);
        lock (_lock)
        {
            if (!_connections.TryGetValue(connectionId, out int connection)) _connections[connectionId] = connection = _connections.Count;
            _wire.Add((method, connection, streamId));
            _events.Add(new ServerEvent(qualified, _lines.Count));
            int count = _callCounts[method] = _callCounts.GetValueOrDefault(method) + 1;
            _callWaiters.RemoveAll(w => w.Method == method && count >= w.Count && Released(w.Done));
        }
    }

    /// <summary>The HTTP context of the StreamLogs call that came last (a hook may reset it, as a failing proxy would).</summary>
    public Microsoft.AspNetCore.Http.HttpContext? CurrentLogStream { get; internal set; }

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
        lock (_lock)
        {
            _lines.Add(line);
            if (_lineWaiters.Count > 0) _lineWaiters.RemoveAll(w => w.Match(line) && Released(w.Done));
        }
        LineReceived?.Invoke(line);
    }

    internal void AddState(ReportStateRequest state)
    {
        lock (_lock) _events.Add(new ServerEvent("state:" + StateName(state.State), _lines.Count));
        States.Enqueue(state);
        if (state.State is TaskState.Success or TaskState.Failed or TaskState.Skipped) _final.TrySetResult(state);
    }

    private static bool Released(TaskCompletionSource waiter)
    {
        waiter.TrySetResult();
        return true;
    }

    /// <summary>SUCCESS, RUNNING...: the contract's names, as the script's fault keys spell them.</summary>
    public static string StateName(TaskState state) => state.ToString().ToUpperInvariant();
}
