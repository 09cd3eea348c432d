using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Masking;

using LeoFlow.Agent.Tests.Harness;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class OutgoingTextTests
{
    [Fact]
    public void MasksEveryTokenAndEscapesControlCharacters()
    {
        var text = new OutgoingText(Registries.WithTokens("tok-SECRET-7f3a9c", "rotated-away-token"));

        string clean = text.Clean("token tok-SECRET-7f3a9c may not read up\u001b[2J\0 (was rotated-away-token)\r\nnext\tcolumn\u007f\u009b");

        Assert.Equal("token *** may not read up\\u001b[2J\\u0000 (was ***) next column\\u007f\\u009b", clean);
    }

    [Fact]
    public void PrintableTextIsLeftAsItIs()
    {
        var text = new OutgoingText(Registries.WithTokens("a-secret-token"));

        Assert.Equal("exit \"3\" — ✗ ünïcode", text.Clean("exit \"3\" — ✗ ünïcode"));
    }

    /// <summary>A too-short token is refused at start-up; masking it would shred the message that says so.</summary>
    [Fact]
    public void ATokenShorterThanATokenCanBeIsNotMasked()
    {
        var text = new OutgoingText(Registries.WithTokens("t", "", "token"));

        Assert.Equal("LEOFLOW_AGENT_TOKEN holds a token of 1 character(s)", text.Clean("LEOFLOW_AGENT_TOKEN holds a token of 1 character(s)"));
    }

    [Fact]
    public void MasksTheTasksSecretsOnceTheyAreKnownAndTheTokenStill()
    {
        var secrets = Registries.WithTokens("tok-SECRET-7f3a9c");
        var text = new OutgoingText(secrets);
        Assert.Equal("rejected: hunter2-pw", text.Clean("rejected: hunter2-pw"));

        secrets.AddTaskSecrets([new Secret("connection \"db\" password", "hunter2-pw")]);

        Assert.Equal("rejected: *** for ***", text.Clean("rejected: hunter2-pw for tok-SECRET-7f3a9c"));
    }

    /// <summary>A secret with a tab or line break is masked before those become spaces.</summary>
    [Fact]
    public void MasksBeforeEscaping()
    {
        var text = new OutgoingText(Registries.WithTokens("tab\tinside-token"));

        Assert.Equal("said *** twice: *** ", text.Clean("said tab\tinside-token twice: tab\tinside-token\n"));
    }
}
