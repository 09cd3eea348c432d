using System.Buffers;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// The log buffer's memory: blocks of one size, kept when the pipe returns them and handed out
/// again. The pipe's default pool (the shared ArrayPool) keeps only a few dozen blocks per size,
/// so a task printing fast made the collector reclaim and the pipe re-allocate megabytes every
/// second, and the heap grew well past the buffer itself. Here the blocks a full buffer needs are
/// allocated once and reused; a request larger than a block (a line near the 64 KiB limit) is
/// the pipe's own one-off allocation. The blocks live on the pinned object heap: they stay for
/// the whole task and are written to the socket, and allocated in the first generation among
/// the HTTP/2 stack's short-lived objects they left its regions half dead and kept in use,
/// which made the peak RSS swing by megabytes from run to run (docs/benchmarks.md, history).
/// </summary>
internal sealed class LogBufferPool(int blockSize) : MemoryPool<byte>
{
    private readonly Stack<Block> _free = new();
    private readonly Lock _lock = new();

    public override int MaxBufferSize => blockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, blockSize);
        lock (_lock)
        {
            if (_free.TryPop(out var block)) return block.Lease();
        }
        return new Block(this, GC.AllocateUninitializedArray<byte>(blockSize, pinned: true)).Lease();
    }

    private void Return(Block block)
    {
        lock (_lock) _free.Push(block);
    }

    protected override void Dispose(bool disposing) { }

    /// <summary>One block; returned to the pool when the pipe disposes it (once per lease).</summary>
    private sealed class Block(LogBufferPool pool, byte[] memory) : IMemoryOwner<byte>
    {
        private int _leased;

        public Memory<byte> Memory => memory;

        public Block Lease()
        {
            _leased = 1;
            return this;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1) pool.Return(this);
        }
    }
}
