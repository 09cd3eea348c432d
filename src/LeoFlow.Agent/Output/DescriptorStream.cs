using System.Runtime.InteropServices;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Output;

/// <summary>
/// An inherited descriptor (the agent's stdout or stderr) written with write(2), so at the offset
/// the descriptor shares with every other holder of it. A FileStream over a regular file writes
/// at an offset of its own (pwrite): with `>agent.log 2>&1` the two streams overwrote each other's
/// lines, and whatever the parent wrote after the agent overwrote the agent's.
/// </summary>
internal sealed unsafe class DescriptorStream(int fd) : WriteOnlyStream
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

    private void WaitWritable()
    {
        var poll = new Native.PollFd { Fd = fd, Events = Native.POLLOUT };
        Native.poll(&poll, 1, -1);
    }
}
