using System.Text;
using LeoFlow.Agent.Output;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class NonBlockingOutputTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void WhileTheReaderIsStuckWritesReturnAndWhatDoesNotFitIsDroppedWholeAndCounted()
    {
        var stuck = new GatedStream();
        var output = new NonBlockingOutput(stuck, capacity: 10, patience: TimeSpan.Zero);

        output.Write("one\n"u8);
        Assert.True(stuck.Entered.Wait(Wait));   // the writer thread is now blocked in write()
        output.Write("two\n"u8);
        output.Write("three\n"u8);               // 4 + 6 bytes: the queue is full
        output.Write("four\n"u8);                // dropped, whole
        Assert.Equal(1, output.Dropped);

        stuck.Release.Set();
        Assert.True(output.Drain(Wait));
        Assert.Equal("one\ntwo\nthree\n", Encoding.UTF8.GetString(stuck.Written.ToArray()));
    }

    [Fact]
    public void DrainGivesUpOnAStuckReader()
    {
        var stuck = new GatedStream();
        var output = new NonBlockingOutput(stuck, capacity: 1024, patience: TimeSpan.Zero);

        output.Write("line\n"u8);
        Assert.True(stuck.Entered.Wait(Wait));

        Assert.False(output.Drain(TimeSpan.Zero));
        stuck.Release.Set();
    }

    /// <summary>A stream whose writes block until released, as a pipe nobody reads.</summary>
    private sealed class GatedStream : MemoryStream
    {
        public SemaphoreSlim Entered { get; } = new(0);
        public ManualResetEventSlim Release { get; } = new();
        public MemoryStream Written { get; } = new();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Entered.Release();
            Release.Wait();
            lock (Written) Written.Write(buffer, offset, count);
        }
    }
}
