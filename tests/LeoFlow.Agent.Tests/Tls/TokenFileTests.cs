using System.Text;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>LEOFLOW_AGENT_TOKEN_FILE: re-read between RPCs when rotated, and every token it held redacted.</summary>
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

    [Fact]
    public void RotatedTokensAreRedactedFromDiagnostics()
    {
        string file = Path.Join(_bed.Directory, "token");
        Rotate(file, "secret-one");
        var source = TokenSource.FromFile(file);
        var output = new MemoryStream();
        var diagnostics = new JsonDiagnostics(output, () => source.All);
        Rotate(file, "secret-number-two");
        Assert.Equal("secret-number-two", source.Current());

        diagnostics.Error("server said secret-one and secret-number-two", "also secret-number-two");

        string line = Encoding.UTF8.GetString(output.ToArray());
        Assert.DoesNotContain("secret-", line);
        Assert.Equal(3, line.Split("[redacted]").Length - 1);
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
