namespace LeoFlow.Agent.Tests.Harness;

/// <summary>
/// A read-only stream over fixed bytes that returns at most the next chunk size per Read, the way
/// a pipe hands over whatever the writer managed to write: 1 byte splits every multibyte
/// character, odd sizes move line starts around the buffer.
/// </summary>
public sealed class ChunkedStream(byte[] data, Func<int> nextChunk) : Stream
{
    private int _position;

    public static ChunkedStream OneByteAtATime(byte[] data) => new(data, () => 1);

    public static ChunkedStream RandomChunks(byte[] data, int seed, int maxChunk)
    {
        var random = new Random(seed);
        return new ChunkedStream(data, () => random.Next(1, maxChunk + 1));
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, nextChunk()), data.Length - _position);
        Array.Copy(data, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
