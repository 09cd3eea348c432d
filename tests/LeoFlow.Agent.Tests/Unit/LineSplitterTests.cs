using System.Text;
using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class LineSplitterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<IReadOnlyList<string>> Split(Stream source, OutputStream stream = OutputStream.Stdout)
    {
        var writer = new RecordingLineWriter();
        await Task.Run(() => LineSplitter.Pump(source, stream, writer)).WaitAsync(Timeout);
        Assert.All(writer.Lines, l => Assert.Equal(stream, l.Stream));
        return writer.Texts;
    }

    private static Task<IReadOnlyList<string>> Split(byte[] bytes) => Split(new MemoryStream(bytes));

    private static Task<IReadOnlyList<string>> Split(string text) => Split(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task SplitsOnNewlineOnly()
    {
        Assert.Equal(["one", "two", "three"], await Split("one\ntwo\nthree\n"));
    }

    [Fact]
    public async Task DropsTheCarriageReturnOfCrlf()
    {
        Assert.Equal(["dos", "unix", "dos again"], await Split("dos\r\nunix\ndos again\r\n"));
    }

    [Fact]
    public async Task KeepsALoneCarriageReturnInsideTheLine()
    {
        // Progress bars redraw with \r; splitting there (as .NET's ReadLine does) would flood the log.
        Assert.Equal(["10%\r50%\r100%", "done\r\r"], await Split("10%\r50%\r100%\ndone\r\r\r\n"));
    }

    [Fact]
    public async Task KeepsEmptyLines()
    {
        Assert.Equal(["", "a", "", "", "b", ""], await Split("\na\n\n\nb\n\r\n"));
    }

    [Fact]
    public async Task DeliversTheLastLineWithoutNewline()
    {
        Assert.Equal(["first", "last"], await Split("first\nlast"));
        Assert.Equal(["only"], await Split("only"));
        Assert.Equal(["cr"], await Split("cr\r"));
    }

    [Fact]
    public async Task NothingInNothingOut()
    {
        Assert.Empty(await Split(""));
        Assert.Equal([""], await Split("\n"));
    }

    [Fact]
    public async Task ReplacesInvalidUtf8()
    {
        byte[] bytes = [(byte)'a', 0xFF, (byte)'b', (byte)'\n', 0xC3, (byte)'\n', (byte)'L', 0xE9, (byte)'o', 0x80, (byte)'\n', 0xE2, 0x82];
        Assert.Equal(["a\uFFFDb", "\uFFFD", "L\uFFFDo\uFFFD", "\uFFFD"], await Split(bytes));
    }

    [Fact]
    public async Task KeepsMultibyteCharactersSplitAcrossReads()
    {
        const string text = "héllo wörld\nprix: 5 €\nclef 𝄞 and 日本語\r\nend 😀";
        var lines = await Split(ChunkedStream.OneByteAtATime(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(["héllo wörld", "prix: 5 €", "clef 𝄞 and 日本語", "end 😀"], lines);
    }

    [Fact]
    public async Task ManyLinesAcrossRandomReadsArriveInOrder()
    {
        var expected = Enumerable.Range(1, 20_000).Select(i => $"line {i} {new string('x', i % 97)} é").ToArray();
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", expected) + "\n");
        Assert.Equal(expected, await Split(ChunkedStream.RandomChunks(bytes, seed: 7, maxChunk: 5000)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4093)]
    [InlineData(70_000)]
    public async Task SplitsAnOverlongLineLosingNothingAndBreakingNoCharacter(int maxChunk)
    {
        // Characters of 1 to 4 bytes, so the limit falls inside one of them at some point.
        const string period = "aé€𝄞";   // 10 bytes
        string longLine = string.Concat(Enumerable.Repeat(period, (3 * LineSplitter.MaxLineBytes + 1000) / 10));
        var bytes = Encoding.UTF8.GetBytes("before\n" + longLine + "\nafter\n");

        var lines = await Split(ChunkedStream.RandomChunks(bytes, seed: maxChunk, maxChunk));

        Assert.Equal("before", lines[0]);
        Assert.Equal("after", lines[^1]);
        var pieces = lines.Skip(1).SkipLast(1).ToArray();
        Assert.Equal(4, pieces.Length);
        Assert.Equal(longLine, string.Concat(pieces));
        // Cut at the limit or at most 3 bytes before it, where a character starts.
        Assert.All(pieces[..^1], p => Assert.InRange(Encoding.UTF8.GetByteCount(p), LineSplitter.MaxLineBytes - 3, LineSplitter.MaxLineBytes));
        Assert.InRange(Encoding.UTF8.GetByteCount(pieces[^1]), 1, LineSplitter.MaxLineBytes);
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
    }

    [Fact]
    public async Task ALineOfExactlyTheLimitIsOneLine()
    {
        string line = new('x', LineSplitter.MaxLineBytes);
        Assert.Equal([line, "next"], await Split(line + "\nnext\n"));
        Assert.Equal([line, "crlf"], await Split(line + "\r\ncrlf"));
        // The buffer fills up with the \r of a \r\n as its last byte: it is not kept in the line.
        string shorter = line[1..];
        Assert.Equal([shorter, "z"], await Split(shorter + "\r\nz"));
        Assert.Equal([line, "x", "z"], await Split(line + "x\nz"));
    }

    [Fact]
    public async Task AnOverlongLineWithoutNewlineIsDeliveredWhole()
    {
        string line = new('y', 2 * LineSplitter.MaxLineBytes + 5);
        var lines = await Split(line);
        Assert.Equal(line, string.Concat(lines));
        Assert.Equal(3, lines.Count);
    }

    [Fact]
    public async Task LabelsEveryLineWithItsStream()
    {
        Assert.Equal(["e1", "e2"], await Split(new MemoryStream("e1\ne2"u8.ToArray()), OutputStream.Stderr));
    }
}
