using System.Buffers;
using System.IO.Pipelines;
using LeoFlow.Agent.Logs;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// The log buffer's blocks are reused, each returned once, a pipe over them keeps its bytes intact,
/// and the log buffer holds its replay window and at most PendingBytes unsent beside it.
/// </summary>
public sealed class LogBufferPoolTests
{
    [Fact]
    public void AReturnedBlockIsHandedOutAgainAndAReturnCountsOnce()
    {
        var pool = new LogBufferPool(1024);
        var first = pool.Rent(100);
        Assert.Equal(1024, first.Memory.Length);
        var firstMemory = first.Memory;
        first.Dispose();
        first.Dispose();   // a second dispose must not put the block in the pool twice

        var again = pool.Rent();
        var other = pool.Rent();

        Assert.True(again.Memory.Span == firstMemory.Span);
        Assert.False(other.Memory.Span == firstMemory.Span);
    }

    [Fact]
    public void ARequestLargerThanABlockIsRefused()
    {
        var pool = new LogBufferPool(1024);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(1025));
    }

    [Fact]
    public async Task TheLogBufferHoldsTheReplayWindowAndAtMostPendingBytesUnsentBesideIt()
    {
        var pipe = GrpcLogSink.CreateBuffer();
        byte[] chunk = new byte[16 * 1024];
        // 1 MiB unsent: the writer waits until the pump has sent it, and the pump keeps it for a
        // replay (examined, not consumed).
        for (int i = 0; i < 64; i++) pipe.Writer.Write(chunk);
        var first = pipe.Writer.FlushAsync();
        Assert.False(first.IsCompleted);
        var sent = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        pipe.Reader.AdvanceTo(sent.Buffer.Start, sent.Buffer.End);
        await first.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // The task's lines then fill the buffer until a flush has to wait.
        long unsent = 0;
        ValueTask<FlushResult> flush;
        do
        {
            pipe.Writer.Write(chunk);
            unsent += chunk.Length;
            flush = pipe.Writer.FlushAsync();
        }
        while (flush.IsCompleted && unsent <= 4 * GrpcLogSink.PendingBytes);
        Assert.Equal(GrpcLogSink.PendingBytes, unsent);

        // Once the pump has sent them (examined them), the writer goes on.
        var next = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1024 * 1024 + unsent, next.Buffer.Length);
        pipe.Reader.AdvanceTo(next.Buffer.End);
        await flush.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task APipeOverThePoolCarriesEveryByteAcrossBlocksAndReuse()
    {
        var pipe = new Pipe(new PipeOptions(pool: new LogBufferPool(64), minimumSegmentSize: 64, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var expected = new List<byte>();
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 7; i++)
            {
                byte[] chunk = Enumerable.Range(0, 10 + (round * 7 + i) % 50).Select(b => (byte)(b + round + i)).ToArray();
                pipe.Writer.Write(chunk);
                expected.AddRange(chunk);
            }
            await pipe.Writer.FlushAsync();
            var read = await pipe.Reader.ReadAsync();
            Assert.Equal(expected, read.Buffer.ToArray());
            pipe.Reader.AdvanceTo(read.Buffer.End);   // every block goes back, to be reused next round
            expected.Clear();
        }
    }
}
