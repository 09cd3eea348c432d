using System.Diagnostics;
using System.Text;

namespace LeoFlow.Bench;

/// <summary>
/// A process started for a measurement: the Stopwatch timestamp taken just before exec, its
/// output drained (kept only as a short tail for error messages), its peak RSS sampled until it exits.
/// </summary>
internal sealed class Child : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _tail = new();
    private readonly StringBuilder _stdoutText = new();
    private readonly Task _stdout, _stderr;
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private long _peakRssKib, _cpuTicks;

    private readonly int _stdoutLimit;
    private readonly StringBuilder _stderrText = new();

    private Child(System.Diagnostics.Process process, long execTimestamp, bool samplePeakRss, int stdoutLimit)
    {
        _stdoutLimit = stdoutLimit;
        _process = process;
        ExecTimestamp = execTimestamp;
        Pid = process.Id;
        _stdout = DrainAsync(process.StandardOutput);
        _stderr = DrainAsync(process.StandardError);
        _sampler = samplePeakRss ? Task.Run(SampleAsync) : Task.CompletedTask;
    }

    public int Pid { get; }

    /// <summary>Stopwatch.GetTimestamp() just before the process was started.</summary>
    public long ExecTimestamp { get; }

    /// <summary>Set once <see cref="WaitAsync"/> returned.</summary>
    public long ExitTimestamp { get; private set; }

    public int ExitCode => _process.ExitCode;

    /// <summary>The highest VmHWM seen while it ran (KiB); 0 when not sampled.</summary>
    public long PeakRssKib => Interlocked.Read(ref _peakRssKib);

    /// <summary>Output kept for error messages (the last few KiB of stdout and stderr).</summary>
    public string Tail { get { lock (_tail) return _tail.ToString(); } }

    public double ExecToExitMs => Stopwatch.GetElapsedTime(ExecTimestamp, ExitTimestamp).TotalMilliseconds;

    /// <param name="stdoutLimit">How much of stdout and of stderr <see cref="Stdout"/> and <see cref="Stderr"/> keep (chars).</param>
    public static Child Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, bool samplePeakRss = false, int stdoutLimit = 4096)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("LEOFLOW_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = new System.Diagnostics.Process { StartInfo = start };
        long exec = Stopwatch.GetTimestamp();
        process.Start();
        return new Child(process, exec, samplePeakRss, stdoutLimit);
    }

    /// <summary>utime+stime (ticks) as of the last <see cref="SampleFinal"/>; 0 when never sampled.</summary>
    public long CpuTicks => Interlocked.Read(ref _cpuTicks);

    /// <summary>Records the peak RSS now, if the process is still there.</summary>
    private void SamplePeakRss()
    {
        if (ProcFs.PeakRssKib(Pid) is { } kib) Raise(kib);
    }

    /// <summary>Peak RSS and CPU time at the end of the work: call while the process waits for its last answer.</summary>
    public void SampleFinal()
    {
        SamplePeakRss();
        if (ProcFs.CpuTicks(Pid) is { } ticks) Interlocked.Exchange(ref _cpuTicks, ticks);
    }

    public async Task WaitAsync()
    {
        try { await _process.WaitForExitAsync().WaitAsync(Limit); }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw new BenchException($"{_process.StartInfo.FileName} did not exit within {Limit.TotalSeconds} s; output: {Tail}");
        }
        ExitTimestamp = Stopwatch.GetTimestamp();
        await _sampling.CancelAsync();
        await Task.WhenAll(_stdout, _stderr, _sampler);
    }

    /// <summary>Waits and insists on exit code 0.</summary>
    public async Task WaitSuccessAsync(string what)
    {
        await WaitAsync();
        if (ExitCode != 0) throw new BenchException($"{what} exited with {ExitCode}; output: {Tail}");
    }

    /// <summary>The start of stdout (4 KiB unless asked for more), for the commands whose answer is their output.</summary>
    public string Stdout { get { lock (_tail) return _stdoutText.ToString(); } }

    /// <summary>The start of stderr, as much as of stdout (the agent's JSON diagnostics).</summary>
    public string Stderr { get { lock (_tail) return _stderrText.ToString(); } }

    private async Task DrainAsync(StreamReader reader)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_tail)
            {
                _tail.Append(buffer, 0, n);
                if (_tail.Length > 4096) _tail.Remove(0, _tail.Length - 4096);
                if (reader == _process.StandardOutput && _stdoutText.Length < _stdoutLimit) _stdoutText.Append(buffer, 0, n);
                if (reader == _process.StandardError && _stderrText.Length < _stdoutLimit) _stderrText.Append(buffer, 0, n);
            }
        }
    }

    private async Task SampleAsync()
    {
        // VmHWM only grows, so the last read before exit is the peak up to that moment.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            do SamplePeakRss();
            while (await timer.WaitForNextTickAsync(_sampling.Token));
        }
        catch (OperationCanceledException) { /* exited */ }
    }

    private void Raise(long kib)
    {
        long seen;
        while (kib > (seen = Interlocked.Read(ref _peakRssKib)) && Interlocked.CompareExchange(ref _peakRssKib, kib, seen) != seen) { }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _sampling.Dispose();
        _process.Dispose();
    }
}
