using System.Runtime.InteropServices;

namespace LeoFlow.Agent.Tests.Harness;

/// <summary>
/// A pipe nobody reads, filled to the brim: what a container's stdout or stderr is when its
/// logging driver is stuck. A child gets it by opening <see cref="Path"/> (a blocking descriptor
/// of the same pipe); the test holds the read end open and never reads it.
/// </summary>
public sealed unsafe partial class StuckPipe : IDisposable
{
    private const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, EAGAIN = 11;
    private readonly int _read, _write;

    public StuckPipe()
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw new IOException("pipe2 failed: errno " + Marshal.GetLastPInvokeError());
        (_read, _write) = (fds[0], fds[1]);
        byte* chunk = stackalloc byte[4096];
        for (int i = 0; i < 4096; i++) chunk[i] = (byte)'x';
        while (write(_write, chunk, 4096) > 0) { }
        if (Marshal.GetLastPInvokeError() != EAGAIN) throw new IOException("filling the pipe failed: errno " + Marshal.GetLastPInvokeError());
        while (write(_write, chunk, 1) > 0) { }
    }

    /// <summary>Where a child process opens the pipe's write end.</summary>
    public string Path => $"/proc/{Environment.ProcessId}/fd/{_write}";

    public void Dispose()
    {
        close(_write);
        close(_read);
    }

    [LibraryImport("libc", SetLastError = true)] private static partial int pipe2(int* fds, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial nint write(int fd, byte* buffer, nint count);
    [LibraryImport("libc", SetLastError = true)] private static partial int close(int fd);
}
