using System.Runtime.InteropServices;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Output;

/// <summary>
/// An inherited descriptor (the agent's stdout or stderr) written with write(2), so at the offset
/// the descriptor shares with every other holder of it. A FileStream over a regular file writes
/// at an offset of its own (pwrite): with `>agent.log 2>&1` the two streams overwrote each other's
/// lines, and whatever the parent wrote after the agent overwrote the agent's.
/// </summary>
internal sealed unsafe class DescriptorStream(int fd) : Stream
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint written = Native.write(fd, start + done, (nuint)(buffer.Length - done));
                if (written >= 0) { done += (int)written; continue; }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EINTR) continue;
                if (errno == Native.EAGAIN) { WaitWritable(); continue; }   // a descriptor someone made non-blocking
                throw new IOException($"writing descriptor {fd} failed (errno {errno})");
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    private void WaitWritable()
    {
        var poll = new Native.PollFd { Fd = fd, Events = Native.POLLOUT };
        Native.poll(&poll, 1, -1);
    }

    public override void Flush() { }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
