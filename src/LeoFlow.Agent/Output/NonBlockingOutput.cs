using System.Diagnostics;

namespace LeoFlow.Agent.Output;

/// <summary>
/// One of the agent's own standard streams, written without ever blocking the lifecycle: each
/// <see cref="Write(ReadOnlySpan{byte})"/> is one record (a whole line), queued up to
/// <see cref="_capacity"/> bytes and written by one thread of its own. A pipe nobody reads (a
/// stuck logging driver) blocks only that thread. When the queue is full, a record waits at most
/// <see cref="_patience"/> for room while the writer still makes progress, then it is dropped and
/// counted; once the writer is stuck, records are dropped at once. Dropped whole, never cut.
/// </summary>
/// <remarks>
/// The descriptor itself is left blocking: O_NONBLOCK belongs to the open file, which the
/// agent shares with whoever gave it the descriptor (a terminal, a shell).
/// </remarks>
internal sealed class NonBlockingOutput : WriteOnlyStream
{
    /// <summary>The most one write() takes: a pipe's capacity, so a slow reader is told from a stuck one.</summary>
    private const int MaxBatchBytes = 64 * 1024;

    private readonly Stream _output;
    private readonly int _capacity;
    private readonly TimeSpan _patience;
    private readonly Queue<byte[]> _queue = new();
    private readonly object _gate = new();
    private int _queuedBytes;
    private long _dropped;
    private bool _writing;
    private long _writeStarted;
    private bool _broken;
    private Thread? _thread;

    /// <param name="output">The stream written on the writer thread.</param>
    /// <param name="capacity">Bytes queued at most.</param>
    /// <param name="patience">How long a record may wait for room while the writer makes progress (zero: never waits).</param>
    public NonBlockingOutput(Stream output, int capacity, TimeSpan patience)
    {
        _output = output;
        _capacity = capacity;
        _patience = patience;
    }

    /// <summary>Records dropped so far: the queue was full or the stream is gone.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="record"/> whole, or drops it whole.</summary>
    public override void Write(ReadOnlySpan<byte> record)
    {
        if (record.Length == 0) return;
        lock (_gate)
        {
            if (!HasRoom(record.Length))
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
            _queue.Enqueue(record.ToArray());
            _queuedBytes += record.Length;
            _thread ??= StartWriter();
            Monitor.PulseAll(_gate);
        }
    }


    /// <summary>
    /// Waits until everything queued is written, or <paramref name="timeout"/> has passed (a pipe
    /// nobody reads): true when it was all written.
    /// </summary>
    public bool Drain(TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (_queue.Count > 0 || _writing)
            {
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || _broken) return false;
                Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            }
            return true;
        }
    }

    /// <summary>Called under the gate: waits for room as long as the writer moves and the patience lasts.</summary>
    private bool HasRoom(int length)
    {
        if (_broken || length > _capacity) return false;
        long deadline = Stopwatch.GetTimestamp() + (long)(_patience.TotalSeconds * Stopwatch.Frequency);
        while (_queuedBytes + length > _capacity)
        {
            long now = Stopwatch.GetTimestamp();
            if (_broken || now >= deadline || Stuck(now)) return false;
            Monitor.Wait(_gate, TimeSpan.FromSeconds((double)(deadline - now) / Stopwatch.Frequency));
        }
        return true;
    }

    /// <summary>The current write has taken longer than the patience: nobody is reading.</summary>
    private bool Stuck(long now) => _writing && now - _writeStarted > (long)(_patience.TotalSeconds * Stopwatch.Frequency);

    private Thread StartWriter()
    {
        var thread = new Thread(WriteLoop) { IsBackground = true, Name = "output-writer" };
        thread.Start();
        return thread;
    }

    private void WriteLoop()
    {
        var batch = new MemoryStream();
        int records = 0;
        while (true)
        {
            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate);
                while (_queue.Count == 0) Monitor.Wait(_gate);
                batch.SetLength(0);
                records = 0;
                while (_queue.TryPeek(out var next) && (batch.Length == 0 || batch.Length + next.Length <= MaxBatchBytes))
                {
                    _queue.Dequeue();
                    _queuedBytes -= next.Length;
                    batch.Write(next);
                    records++;
                }
                _writing = true;
                _writeStarted = Stopwatch.GetTimestamp();
                Monitor.PulseAll(_gate);
            }
            try
            {
                _output.Write(batch.GetBuffer(), 0, (int)batch.Length);
                _output.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // The stream is gone (EPIPE, EBADF): what is queued and all that follows is dropped.
                lock (_gate)
                {
                    _broken = true;
                    Interlocked.Add(ref _dropped, _queue.Count + records);
                    _queue.Clear();
                    _queuedBytes = 0;
                    _writing = false;
                    Monitor.PulseAll(_gate);
                }
                return;
            }
        }
    }

}
