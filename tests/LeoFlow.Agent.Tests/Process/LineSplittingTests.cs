using System.Text;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Tests.Process;

/// <summary>
/// What the task writes, through real pipes, becomes log lines (docs/protocol.md, "The log stream").
/// </summary>
public sealed class LineSplittingTests
{
    [Fact]
    public async Task InvalidUtf8BecomesReplacementCharacters()
    {
        var (exit, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("raw", "fffe206f6b0a"));

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["\uFFFD\uFFFD ok"], lines.Stdout);
    }

    [Fact]
    public async Task CrLfEndsALineAndALoneCrStays()
    {
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("raw", "610d0a620d630d0a0d0a"));

        Assert.Equal(["a", "b\rc", ""], lines.Stdout);
    }

    [Fact]
    public async Task AOneMebibyteLineArrivesWholeIn64KiBPieces()
    {
        const int size = 1024 * 1024;
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("long", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "out", "after"));

        var pieces = lines.Stdout;
        Assert.Equal("after", pieces[^1]);
        Assert.All(pieces, p => Assert.InRange(Encoding.UTF8.GetByteCount(p), 1, LineSplitter.MaxLineBytes));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.True(pieces.Count - 1 >= size / LineSplitter.MaxLineBytes, $"{pieces.Count - 1} pieces");
        Assert.Equal(LongLine(size), string.Concat(pieces.Take(pieces.Count - 1)));
    }

    [Theory]
    [InlineData("0a")]     // a line of exactly 64 KiB, then its newline
    [InlineData("0d0a")]   // ... then \r\n: the \r is the 65537th byte
    public async Task ALineOfExactlyTheLimitIsOneLine(string ending)
    {
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("xs", "65536", "raw", ending, "out", "next"));

        Assert.Equal([new string('x', 65536), "next"], lines.Stdout);
    }

    [Fact]
    public async Task ACrLfStraddlingTheCutIsStillALineEnding()
    {
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("xs", "65535", "raw", "0d0a", "out", "next"));

        Assert.Equal([new string('x', 65535), "next"], lines.Stdout);
    }

    [Fact]
    public async Task APartialLastLineIsDelivered()
    {
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("out", "first", "raw", "6c617374", "err", "on stderr"));

        Assert.Equal(["first", "last"], lines.Stdout);
        Assert.Equal(["on stderr"], lines.Of(OutputStream.Stderr));
    }

    [Fact]
    public async Task AMultibyteCharacterWrittenByteByByteStaysWhole()
    {
        var (_, lines) = await ChildProgram.RunAsync(ChildProgram.Spec("trickle", "61e282ac62f09f98800a"));

        Assert.Equal(["a€b😀"], lines.Stdout);
    }

    [Fact]
    public void ReadsOfOneByteAtATimeGiveTheSameLines()
    {
        var lines = new LineCollector();
        byte[] bytes = [.. "héllo\r\n€"u8, 0xFF, .. "\n😀 end"u8];

        LineSplitter.Pump(new TrickleStream(bytes), OutputStream.Stdout, lines);

        Assert.Equal(["héllo", "€\uFFFD", "😀 end"], lines.Stdout);
    }

    [Fact]
    public async Task AFullWriterHoldsThePumpBackWithoutLosingLines()
    {
        var writer = new GatedWriter();
        var source = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n")));

        var pump = Task.Run(() => LineSplitter.Pump(new MemoryStream(source), OutputStream.Stdout, writer));
        await writer.FirstWrite.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(pump.IsCompleted);   // held in Flush until there is room
        writer.Open();
        await pump.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"line {i}"), writer.Lines);
    }

    /// <summary>child.py's "long" verb, rebuilt: "aé€😀" repeated to <paramref name="bytes"/> bytes, cut at a character.</summary>
    private static string LongLine(int bytes)
    {
        var pattern = "aé€😀"u8.ToArray();
        var data = Enumerable.Repeat(pattern, bytes / pattern.Length + 1).SelectMany(p => p).Take(bytes).ToArray();
        return Encoding.UTF8.GetString(data).TrimEnd('\uFFFD');
    }

    /// <summary>A stream that returns one byte per read: every character split across reads.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
    }

    /// <summary>A writer with no room until <see cref="Open"/> is called after the first line.</summary>
    private sealed class GatedWriter : ILineWriter
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _lines = [];

        public Task FirstWrite => _first.Task;
        public IReadOnlyList<string> Lines => _lines;

        public void Open() => _gate.SetResult();

        public void WriteLine(OutputStream stream, ReadOnlySpan<byte> line)
        {
            _lines.Add(Encoding.UTF8.GetString(line));   // one pump, one thread: no lock needed
            _first.TrySetResult();
        }

        /// <summary>No room until opened: the pump's thread waits here, as with a full log buffer.</summary>
        public void Flush() => _gate.Task.GetAwaiter().GetResult();
    }
}
