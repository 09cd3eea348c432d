using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class OutgoingTextTests
{
    [Fact]
    public void RedactsEveryTokenAndEscapesControlCharacters()
    {
        var text = new OutgoingText(() => ["tok-SECRET-7f3a9c", "rotated-away-token"]);

        string clean = text.Clean("token tok-SECRET-7f3a9c may not read up\u001b[2J\0 (was rotated-away-token)\r\nnext\tcolumn\u007f\u009b");

        Assert.Equal("token [redacted] may not read up\\u001b[2J\\u0000 (was [redacted]) next column\\u007f\\u009b", clean);
    }

    [Fact]
    public void PrintableTextIsLeftAsItIs()
    {
        var text = new OutgoingText(["a-secret-token"]);

        Assert.Equal("exit \"3\" — ✗ ünïcode", text.Clean("exit \"3\" — ✗ ünïcode"));
    }

    /// <summary>A too-short value is refused at start-up; redacting it would shred the message that says so.</summary>
    [Fact]
    public void AValueShorterThanATokenCanBeIsNotRedacted()
    {
        var text = new OutgoingText(["t", ""]);

        Assert.Equal("LEOFLOW_AGENT_TOKEN holds a token of 1 character(s)", text.Clean("LEOFLOW_AGENT_TOKEN holds a token of 1 character(s)"));
    }
}
