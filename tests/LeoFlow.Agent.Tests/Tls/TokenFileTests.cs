using System.Text;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Tests.Harness;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>LEOFLOW_AGENT_TOKEN_FILE: re-read between RPCs when rotated, and every token it held masked.</summary>
public sealed class TokenFileTests : IDisposable
{
    private readonly TlsTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    /// <summary>Replaces the file the way a projected volume or an atomic writer does: new file, then rename.</summary>
    private static void Rotate(string path, string token)
    {
        File.WriteAllText(path + ".new", token + "\n");
        File.Move(path + ".new", path, overwrite: true);
    }

    [Fact]
    public async Task TokenRotatedDuringRegisterIsSentByEveryLaterCall()
    {
        const string first = "token-before-rotation", second = "token-after-rotation-is-longer";
        string file = Path.Join(_bed.Directory, "token");
        Rotate(file, first);
        var script = new ControlPlaneScript { Token = first };
        script.AlsoAcceptedTokens.Add(second);
        int rotated = 0;
        script.OnCall = method =>
        {
            if (method == "Register" && Interlocked.Exchange(ref rotated, 1) == 0) Rotate(file, second);
        };
        await using var plane = await DevControlPlane.StartAsync(script, _bed.Server());
        var settings = _bed.Settings(plane);
        settings.Remove("LEOFLOW_AGENT_TOKEN");
        settings["LEOFLOW_AGENT_TOKEN_FILE"] = file;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        var all = plane.Record.Calls.ToArray();
        var allAuths = plane.Record.Authorizations.ToArray();
        Assert.Equal(all.Length, allAuths.Length);
        // The log stream is opened before Register (with the first token) but its handler may be
        // entered after Register's: leave it out of the handler-order comparison.
        var unary = all.Zip(allAuths).Where(c => c.First != "StreamLogs").ToArray();
        Assert.Equal("Bearer " + first, allAuths[Array.IndexOf(all, "StreamLogs")]);
        var calls = unary.Select(c => c.First).ToArray();
        var auths = unary.Select(c => c.Second).ToArray();
        int register = Array.IndexOf(calls, "Register");
        Assert.All(auths[..(register + 1)], a => Assert.Equal("Bearer " + first, a));
        Assert.True(auths.Length > register + 1, string.Join(", ", calls));
        Assert.All(auths[(register + 1)..], a => Assert.Equal("Bearer " + second, a));
    }

    /// <summary>
    /// The kubelet's rotation replaces the ..data symlink, not the file the agent was given (a
    /// link whose own timestamp and size never change): the change is in the file it resolves to.
    /// The old token stops being accepted at the swap, as once it expires.
    /// </summary>
    [Fact]
    public async Task TokenRotatedByTheKubeletsSymlinkSwapIsSentByEveryLaterCall()
    {
        const string first = "projected-token-one", second = "projected-token-two";
        var volume = new ProjectedVolume(Path.Join(_bed.Directory, "serviceaccount"), first);
        var script = new ControlPlaneScript { Token = first };
        int rotated = 0;
        script.OnCall = method =>
        {
            if (method != "Register" || Interlocked.Exchange(ref rotated, 1) != 0) return;
            volume.Swap(second);
            script.Token = second;   // the old one is refused from now on
        };
        await using var plane = await DevControlPlane.StartAsync(script, _bed.Server());
        var settings = _bed.Settings(plane);
        settings.Remove("LEOFLOW_AGENT_TOKEN");
        settings["LEOFLOW_AGENT_TOKEN_FILE"] = volume.TokenPath;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        var calls = plane.Record.Calls.ToArray();
        Assert.Equal("Bearer " + second, plane.Record.Authorizations.ToArray()[Array.LastIndexOf(calls, "ReportState")]);
    }

    /// <summary>
    /// A token rewritten in place with the same length and timestamp looks unchanged to every
    /// stat field but the content: the control plane's Unauthenticated answer makes the agent read
    /// the file again, and the call is tried once more with what it holds now.
    /// </summary>
    [Fact]
    public async Task UnauthenticatedAnswerRereadsTheTokenFileAndRetriesOnceWithTheNewToken()
    {
        const string first = "same-length-token-AAAA", second = "same-length-token-BBBB";
        string file = Path.Join(_bed.Directory, "token");
        File.WriteAllText(file, first);
        var stamp = File.GetLastWriteTimeUtc(file);
        var script = new ControlPlaneScript { Token = first };
        int rotated = 0;
        script.OnCall = method =>
        {
            if (method != "Register" || Interlocked.Exchange(ref rotated, 1) != 0) return;
            using (var rewrite = new FileStream(file, FileMode.Open, FileAccess.Write)) rewrite.Write(Encoding.ASCII.GetBytes(second));
            File.SetLastWriteTimeUtc(file, stamp);
            script.Token = second;
        };
        await using var plane = await DevControlPlane.StartAsync(script, _bed.Server());
        var settings = _bed.Settings(plane);
        settings.Remove("LEOFLOW_AGENT_TOKEN");
        settings["LEOFLOW_AGENT_TOKEN_FILE"] = file;

        var run = await TlsTestBed.RunAsync(plane, settings);

        Assert.True(run.Result.Succeeded, run.Result.Error + run.Diagnostics);
        Assert.Equal(TaskState.Success, (await plane.Record.Final()).State);
        Assert.Contains("Bearer " + first, plane.Record.Authorizations.ToArray()[1..]);   // the one refused after Register
    }

    [Fact]
    public void RotatedTokensAreMaskedInDiagnostics()
    {
        string file = Path.Join(_bed.Directory, "token");
        Rotate(file, "secret-one");
        var source = TokenSource.FromFile(file);
        var output = new MemoryStream();
        var secrets = new LeoFlow.Agent.Masking.SecretRegistry();
        source.MaskIn(secrets);
        var diagnostics = new JsonDiagnostics(output, secrets);
        Rotate(file, "secret-number-two");
        Assert.Equal("secret-number-two", source.Current());

        diagnostics.Error("server said secret-one and secret-number-two", "also secret-number-two");

        string line = Encoding.UTF8.GetString(output.ToArray());
        Assert.DoesNotContain("secret-", line);
        Assert.Equal(3, line.Split("***").Length - 1);
    }

    [Fact]
    public async Task AFifoOrADeviceIsRefusedWithoutBlockingOrReadingForEver()
    {
        string fifo = Path.Join(_bed.Directory, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) { await mkfifo.WaitForExitAsync(); }

        var fromFifo = await Task.Run(() => Assert.Throws<ConfigurationException>(() => TokenSource.FromFile(fifo))).WaitAsync(TimeSpan.FromSeconds(30));
        var fromZero = await Task.Run(() => Assert.Throws<ConfigurationException>(() => TokenSource.FromFile("/dev/zero"))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal($"LEOFLOW_AGENT_TOKEN_FILE \"{fifo}\" is a named pipe (FIFO), not a regular file", fromFifo.Message);
        Assert.Equal("LEOFLOW_AGENT_TOKEN_FILE \"/dev/zero\" is a character device, not a regular file", fromZero.Message);
    }

    /// <summary>After start-up a bad file costs no call: the last good token is sent, and the problem said once.</summary>
    [Fact]
    public async Task ATokenFileThatTurnsBadLaterKeepsTheLastTokenAndWarnsOnce()
    {
        string file = Path.Join(_bed.Directory, "token");
        Rotate(file, "the-good-token");
        var source = TokenSource.FromFile(file);
        var diagnostics = new Process.RecordingDiagnostics();
        source.WarnTo(diagnostics);
        File.Delete(file);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [file])) { await mkfifo.WaitForExitAsync(); }

        var tokens = await Task.Run(() => new[] { source.Current(), source.Current(), source.Current() }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(tokens, t => Assert.Equal("the-good-token", t));
        var warning = Assert.Single(diagnostics.Entries);
        Assert.Equal($"Warn LEOFLOW_AGENT_TOKEN_FILE \"{file}\" is a named pipe (FIFO), not a regular file; the agent keeps sending the last token it read", warning);

        File.Delete(file);
        Rotate(file, "x");   // too short to be a token: still the same bad spell, not said again
        Assert.Equal("the-good-token", source.Current());
        Rotate(file, "the-next-token");
        Assert.Equal("the-next-token", source.Current());
        Assert.Single(diagnostics.Entries);
        Rotate(file, "");   // a new bad spell after a good read is said again, once
        Assert.Equal("the-next-token", source.Current());
        Assert.Equal("the-next-token", source.Current());
        Assert.Equal($"Warn LEOFLOW_AGENT_TOKEN_FILE \"{file}\" is empty; the agent keeps sending the last token it read", diagnostics.Entries[^1]);
        Assert.Equal(2, diagnostics.Entries.Count);
    }

    [Fact]
    public void EmptyOrMissingTokenFileIsAConfigurationError()
    {
        string empty = Path.Join(_bed.Directory, "empty");
        File.WriteAllText(empty, "\n");
        var missing = Assert.Throws<ConfigurationException>(() => TokenSource.FromFile(Path.Join(_bed.Directory, "nope")));
        Assert.Contains("LEOFLOW_AGENT_TOKEN_FILE", missing.Message);
        Assert.Contains("is empty", Assert.Throws<ConfigurationException>(() => TokenSource.FromFile(empty)).Message);
    }
}
