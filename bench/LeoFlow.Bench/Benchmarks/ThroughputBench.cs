using System.Diagnostics;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Leoflow.Agent.V1;
using LeoFlow.ControlPlane;

namespace LeoFlow.Bench.Benchmarks;

/// <summary>
/// Log throughput and the agent's peak RSS while shipping it: a task cats N lines of 100 bytes;
/// the control plane checks that line numbers arrive as 1..N (none lost, order kept). The rate is
/// N over the time from the first log frame's arrival ("task started", sent just before the
/// spawn) to the arrival of the last line. The reference is the raw pipe: cat FILE | wc -l. A second
/// reference is why the agent frames StreamLogs itself: the same sink fed by a Grpc.Net.Client
/// duplex call that writes one generated LogLine per WriteAsync, as a generic client does (each
/// write is flushed on its own). The same lines go, in the same runs, to an agent that masks 20
/// secrets (sensitive variables of 8 to 40 bytes) the lines do not hold, and to one whose file
/// has one of them in one line in 100: the cost of masking, against the same sink.
/// </summary>
internal static class ThroughputBench
{
    public const double TargetLinesPerSecond = 500_000;
    public const double TargetPeakRssMb = 20;

    /// <summary>With 20 secrets registered, the share of the unmasked rate the log pipeline keeps.</summary>
    public const double TargetMaskedShare = 0.8;

    /// <summary>Secrets the masked runs register; one line in this many carries one of them in the second file.</summary>
    public const int SecretCount = 20, SecretEvery = 100;

    public static async Task RunAsync(BenchOptions options, SinkPlane sink, Report report)
    {
        int lines = options.ThroughputLines;
        var secrets = Secrets();
        string file = Generate(lines, null);
        string withSecrets = Generate(lines, secrets.Values.ToArray());
        try
        {
            string agent = AgentEnvironment.Relative(options, options.Agent);
            var section = report.Add($"Log throughput: {lines:N0} lines of {BenchOptions.LineBytes} bytes",
                $"{AgentEnvironment.Shell(options)} {agent}\n" +
                $"# task: bash -c 'cat {file}' (line i is i, zero-padded to 9 digits, then 'x' up to 99 bytes, then a newline)\n" +
                "# served by the minimal sink (bench/LeoFlow.Bench/SinkPlane.cs), then by the dev control plane (tests/LeoFlow.ControlPlane)\n" +
                $"bash -c 'cat {file} | wc -l'   # the reference: the raw pipe rate of the same bytes\n" +
                $"# masked: GetVariables answers {SecretCount} sensitive variables (service_NN_password, _api_key, _token, _secret, _passphrase;\n" +
                $"# values of 8 to 40 bytes of letters, digits and -_.+/=), none in the lines; then the same with every {SecretEvery}th line\n" +
                $"# carrying one of them ({withSecrets}); runs interleaved: unmasked, masked, masked with occurrences, each round starting with the next");
            var raw = section.Row("reference: cat FILE | wc -l (raw pipe), exec → exit", "lines/s");
            var rawMb = section.Row("reference: raw pipe", "MB/s");
            var sinkLines = section.Row("agent → minimal sink", "lines/s");
            var sinkMb = section.Row("agent → minimal sink", "MB/s");
            var sinkExit = section.Row("agent → minimal sink: exec → agent exit", "ms");
            var sinkCpu = section.Row("agent → minimal sink: agent CPU (utime+stime) per million lines", "s");
            var maskedLines = section.Row($"agent → minimal sink, {SecretCount} secrets registered, none in the lines", "lines/s");
            var maskedCpu = section.Row($"agent → minimal sink, {SecretCount} secrets registered: agent CPU per million lines", "s");
            var occurrenceLines = section.Row($"agent → minimal sink, {SecretCount} secrets registered, one line in {SecretEvery} carries one", "lines/s");
            int genericLines = Math.Min(lines, GenericClientLines);
            var generic = section.Row($"reference: Grpc.Net.Client duplex call, one LogLine per WriteAsync → minimal sink ({genericLines:N0} lines, in the bench process)", "lines/s");
            var devLines = section.Row("agent → dev control plane", "lines/s");
            var devMb = section.Row("agent → dev control plane", "MB/s");
            var devExit = section.Row("agent → dev control plane: exec → agent exit", "ms");
            var devCpu = section.Row("agent → dev control plane: agent CPU (utime+stime) per million lines", "s");
            var rssSection = report.Add($"Peak RSS of the agent while shipping {lines:N0} lines",
                "VmHWM from /proc/<agent pid>/status, sampled every 20 ms during the throughput runs above\n" +
                "and once more when the agent reports its final state (it is alive, waiting for the answer)");
            var sinkRss = rssSection.Row("agent → minimal sink: peak RSS", "MB");
            var devRss = rssSection.Row("agent → dev control plane: peak RSS", "MB");
            double megabytes = (double)lines * BenchOptions.LineBytes / 1e6;

            for (int run = 0; run < options.ThroughputRuns; run++)
            {
                using var wc = Child.Start("bash", ["-c", $"cat {file} | wc -l"], new Dictionary<string, string>());
                await wc.WaitSuccessAsync("cat | wc -l");
                if (wc.Stdout.Trim() != lines.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    throw new BenchException($"wc -l counted {wc.Stdout.Trim()} lines, not {lines}");
                raw.Add(lines / (wc.ExecToExitMs / 1000));
                rawMb.Add(megabytes / (wc.ExecToExitMs / 1000));
            }
            var spec = new TaskSpec { Operator = "bash", Entrypoint = $"cat {file}" };
            var occurrencesSpec = new TaskSpec { Operator = "bash", Entrypoint = $"cat {withSecrets}" };
            for (int run = 0; run < options.ThroughputRuns; run++)
            {
                // The three variants in turn, each run starting with another, so none is always the
                // one that comes first (a cold page cache, a core just woken).
                for (int variant = run; variant < run + 3; variant++)
                {
                    if (variant % 3 == 0)
                    {
                        var (seconds, child) = await SinkRunAsync(options, sink, spec, null, lines, 0);
                        sinkLines.Add(lines / seconds);
                        sinkMb.Add(megabytes / seconds);
                        sinkExit.Add(child.ExecToExitMs);
                        sinkCpu.Add(child.CpuTicks / ProcFs.TicksPerSecond * 1e6 / lines);
                        sinkRss.Add(child.PeakRssKib * 1024 / 1e6);
                    }
                    else if (variant % 3 == 1)
                    {
                        var (seconds, child) = await SinkRunAsync(options, sink, spec, secrets, lines, 0);
                        maskedLines.Add(lines / seconds);
                        maskedCpu.Add(child.CpuTicks / ProcFs.TicksPerSecond * 1e6 / lines);
                    }
                    else occurrenceLines.Add(lines / (await SinkRunAsync(options, sink, occurrencesSpec, secrets, lines, lines / SecretEvery)).Seconds);
                }
            }
            for (int run = 0; run < options.DevPlaneThroughputRuns; run++)
                generic.Add(await GenericClientRunAsync(sink, genericLines));
            for (int run = 0; run < options.DevPlaneThroughputRuns; run++)
            {
                var (seconds, exitMs, rssKib, cpuTicks) = await DevPlaneRunAsync(options, spec, lines);
                devLines.Add(lines / seconds);
                devMb.Add(megabytes / seconds);
                devExit.Add(exitMs);
                devCpu.Add(cpuTicks / ProcFs.TicksPerSecond * 1e6 / lines);
                devRss.Add(rssKib * 1024 / 1e6);
            }
            section.Notes.Add($"Every run: all {lines:N0} lines arrived, numbered 1..{lines:N0} in order (checked by the control plane); " +
                "the agent's framing lines are not counted.");
            section.Notes.Add($"Ratio to the raw pipe (medians): minimal sink {sinkLines.Median / raw.Median:0.00}, dev control plane {devLines.Median / raw.Median:0.00}.");
            section.Notes.Add($"The agent's batched frames against one generated LogLine per Grpc.Net.Client WriteAsync, same sink (medians): {sinkLines.Median / generic.Median:0.0}×.");
            // Each masked run against the unmasked run of its round: on a shared machine the load
            // drifts between runs more than masking costs, and a round shares the moment's load.
            var paired = Paired(maskedLines, sinkLines);
            double share = paired[paired.Length / 2];
            var pairedOccurrences = Paired(occurrenceLines, sinkLines);
            section.Notes.Add($"Masking, each masked run against the unmasked run of its round (same sink): with {SecretCount} secrets registered " +
                $"{share:0.00} of the unmasked rate (median of the pairs; {paired[0]:0.00} to {paired[^1]:0.00}; medians of the rows: {maskedLines.Median / sinkLines.Median:0.00}), " +
                $"with one line in {SecretEvery} carrying one {pairedOccurrences[pairedOccurrences.Length / 2]:0.00} ({pairedOccurrences[0]:0.00} to {pairedOccurrences[^1]:0.00}; " +
                $"each run's count line checked: {lines / SecretEvery:N0} masked); agent CPU per million lines {maskedCpu.Median / sinkCpu.Median:0.00}× the unmasked. " +
                "Unmasked means no secret of the task: the agent's token is masked always, so it is registered in every run.");
            rssSection.Notes.Add("MB = 10^6 bytes. The reference, the same agent with a silent task, is in the idle section below.");
            report.Targets.Add(new Target("log lines delivered (minimal sink)", $"≥ {TargetLinesPerSecond:N0} lines/s, zero lost",
                $"{sinkLines.Median:N0} lines/s (median), zero lost", sinkLines.Median >= TargetLinesPerSecond));
            report.Targets.Add(new Target("log lines delivered (dev control plane)", $"≥ {TargetLinesPerSecond:N0} lines/s, zero lost",
                $"{devLines.Median:N0} lines/s (median), zero lost", devLines.Median >= TargetLinesPerSecond));
            report.Targets.Add(new Target($"log lines delivered with {SecretCount} secrets masked (minimal sink)", $"≥ {TargetMaskedShare:0%} of the unmasked rate, same run",
                $"{share:0%} (median of interleaved pairs; {maskedLines.Median:N0} against {sinkLines.Median:N0} lines/s, medians)", share >= TargetMaskedShare));
            double worstRss = Math.Max(sinkRss.Max, devRss.Max);
            report.Targets.Add(new Target("peak RSS while shipping logs", $"≤ {TargetPeakRssMb} MB",
                $"{worstRss:0.0} MB (highest of all throughput runs)", worstRss <= TargetPeakRssMb));
        }
        finally
        {
            File.Delete(file);
            File.Delete(withSecrets);
        }
    }

    /// <summary>Run i of <paramref name="runs"/> over run i of <paramref name="references"/>, sorted.</summary>
    private static double[] Paired(Samples runs, Samples references) =>
        runs.Values.Zip(references.Values, (run, reference) => run / reference).Order().ToArray();

    /// <summary>
    /// One agent against the minimal sink: the seconds from the first frame to the last line, and
    /// the agent. With <paramref name="variables"/>, the run is checked to have masked
    /// <paramref name="masked"/> occurrences (the agent's count line).
    /// </summary>
    private static async Task<(double Seconds, Child Agent)> SinkRunAsync(BenchOptions options, SinkPlane sink, TaskSpec spec,
        IReadOnlyDictionary<string, string>? variables, int lines, int masked)
    {
        var sinkRun = sink.Begin(spec, variables);
        var child = Child.Start(options.Agent, [], AgentEnvironment.For(options, sink.Address), samplePeakRss: true);
        try
        {
            sinkRun.Agent = child;
            await child.WaitSuccessAsync("agent");
        }
        finally
        {
            child.Dispose();
        }
        Check("minimal sink", lines, sinkRun.Logs.Numbered, sinkRun.Logs.LastNumber, sinkRun.Logs.OutOfOrder);
        string count = $"▪ secrets masked in the task's output: {masked}";
        if (variables is not null && !sinkRun.Logs.Framing.Contains(count))
            throw new BenchException($"the agent did not say \"{count}\": {string.Join(" | ", sinkRun.Logs.Framing)}");
        return (Stopwatch.GetElapsedTime(sinkRun.FirstFrame, sinkRun.LastLine).TotalSeconds, child);
    }

    /// <summary>
    /// The secrets of the masked runs: <see cref="SecretCount"/> sensitive variables whose values
    /// are 8 to 40 bytes of an API key's or a password's alphabet, the same in every run.
    /// </summary>
    private static Dictionary<string, string> Secrets()
    {
        var random = new Random(15);
        string[] kinds = ["password", "api_key", "token", "secret", "passphrase"];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=";
        var secrets = new Dictionary<string, string>();
        for (int i = 0; i < SecretCount; i++)
        {
            int length = 8 + i * 32 / (SecretCount - 1);
            secrets[$"service_{i:00}_{kinds[i % kinds.Length]}"] = new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        }
        return secrets;
    }

    /// <summary>Lines written by the generic client per run: at its rate a million would take most of a minute.</summary>
    private const int GenericClientLines = 200_000;

    /// <summary>
    /// Lines/s of StreamLogs written the generic way: the generated client's duplex call on a
    /// channel of its own, one LogLine (100-byte message, numbered from 1) per WriteAsync.
    /// </summary>
    private static async Task<double> GenericClientRunAsync(SinkPlane sink, int lines)
    {
        var run = sink.Begin(new TaskSpec());
        using var channel = GrpcChannel.ForAddress("http://" + sink.Address);
        var client = new AgentService.AgentServiceClient(channel);
        using var call = client.StreamLogs(new Metadata { { "authorization", "Bearer " + BenchOptions.Token } });
        string filler = new('x', BenchOptions.LineBytes - 1 - 9);
        for (int i = 1; i <= lines; i++)
        {
            await call.RequestStream.WriteAsync(new LogLine
            {
                Time = Timestamp.FromDateTime(DateTime.UtcNow),
                Level = Leoflow.Agent.V1.LogLevel.Info,
                Message = i.ToString("D9", System.Globalization.CultureInfo.InvariantCulture) + filler,
                Stream = "stdout",
                LineNumber = i,
            });
        }
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        Check("minimal sink, generic client", lines, run.Logs.Numbered, run.Logs.LastNumber, run.Logs.OutOfOrder);
        return lines / Stopwatch.GetElapsedTime(run.FirstFrame, run.LastLine).TotalSeconds;
    }

    private static async Task<(double Seconds, double ExitMs, long PeakRssKib, long CpuTicks)> DevPlaneRunAsync(BenchOptions options, TaskSpec spec, int lines)
    {
        var script = new ControlPlaneScript { Token = BenchOptions.Token, Spec = spec };
        long first = 0, last = 0, numbered = 0, lastNumber = 0, outOfOrder = 0;
        await using (var plane = await DevControlPlane.StartAsync(script))
        {
            plane.Record.LineReceived += line =>
            {
                long now = Stopwatch.GetTimestamp();
                if (first == 0) first = now;
                if (line.LineNumber == 0) return;
                numbered++;
                if (line.LineNumber != lastNumber + 1) outOfOrder++;
                lastNumber = line.LineNumber;
                last = now;
            };
            using var child = Child.Start(options.Agent, [], AgentEnvironment.For(options, plane.Address), samplePeakRss: true);
            _ = plane.Record.FinalState.ContinueWith(_ => child.SampleFinal(), TaskScheduler.Default);
            await child.WaitSuccessAsync("agent");
            Check("dev control plane", lines, numbered, lastNumber, outOfOrder);
            if (plane.Record.Lines.Count(l => l.LineNumber != 0) != lines) throw new BenchException("the dev control plane's record disagrees with its line events");
            return (Stopwatch.GetElapsedTime(first, last).TotalSeconds, child.ExecToExitMs, child.PeakRssKib, child.CpuTicks);
        }
    }

    private static void Check(string plane, int expected, long numbered, long lastNumber, long outOfOrder)
    {
        if (numbered != expected || lastNumber != expected || outOfOrder != 0)
            throw new BenchException($"{plane}: {numbered:N0} of {expected:N0} lines arrived, last number {lastNumber:N0}, {outOfOrder:N0} out of order");
    }

    /// <summary>
    /// N lines of exactly <see cref="BenchOptions.LineBytes"/> bytes: the line number, zero-padded,
    /// then filler; with <paramref name="secrets"/>, every <see cref="SecretEvery"/>th line has one
    /// of them (in turn) after its number.
    /// </summary>
    private static string Generate(int lines, string[]? secrets)
    {
        string path = Path.Join(Path.GetTempPath(), $"leoflow-bench-{Environment.ProcessId}-{lines}{(secrets is null ? "" : "-secrets")}.txt");
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var line = new byte[BenchOptions.LineBytes];
        for (int i = 1; i <= lines; i++)
        {
            line.AsSpan().Fill((byte)'x');
            line[^1] = (byte)'\n';
            Encoding.ASCII.GetBytes(i.ToString("D9", System.Globalization.CultureInfo.InvariantCulture), line);
            if (secrets is not null && i % SecretEvery == 0)
            {
                line[9] = (byte)' ';
                Encoding.ASCII.GetBytes(secrets[i / SecretEvery % secrets.Length], line.AsSpan(10));
                line[10 + secrets[i / SecretEvery % secrets.Length].Length] = (byte)' ';
            }
            file.Write(line);
        }
        return path;
    }
}
