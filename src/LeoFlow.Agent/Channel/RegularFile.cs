using System.Runtime.InteropServices;
using System.Text;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Reads a small regular file (a token) so that no path can hang or flood the agent: opened with
/// O_NONBLOCK (a FIFO without a writer does not block the open), anything but a regular file
/// refused (a FIFO, a device such as /dev/zero, a socket, a directory), at most a given number of
/// bytes read. Symlinks are followed; the <see cref="FileStamp"/> is that of the file read.
/// </summary>
internal static unsafe class RegularFile
{
    /// <summary>
    /// The file's stamp, and its text unless the stamp equals <paramref name="unchanged"/> (then
    /// null: not read again).
    /// </summary>
    /// <exception cref="UnreadableFileException">Missing, unreadable, not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    public static (FileStamp Stamp, string? Text) Read(string path, int maxBytes, FileStamp? unchanged)
    {
        int fd;
        fixed (byte* name = Encoding.UTF8.GetBytes(path + "\0"))
            fd = Native.open(name, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        if (fd < 0) throw new UnreadableFileException(FileErrors.Describe(Marshal.GetLastPInvokeError()));
        try
        {
            var stamp = Stat(fd);
            if (stamp == unchanged) return (stamp, null);
            if (stamp.Size > (ulong)maxBytes) throw TooLarge(maxBytes);
            var buffer = new byte[maxBytes + 1];
            int length = 0;
            fixed (byte* start = buffer)
            {
                while (length < buffer.Length)
                {
                    nint n = Native.read(fd, start + length, (nuint)(buffer.Length - length));
                    if (n == 0) break;
                    if (n > 0) { length += (int)n; continue; }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Native.EINTR) throw new UnreadableFileException(FileErrors.Describe(errno));
                }
            }
            if (length > maxBytes) throw TooLarge(maxBytes);   // it grew while being read
            return (stamp, Encoding.UTF8.GetString(buffer, 0, length));
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static FileStamp Stat(int fd)
    {
        Native.Statx st;
        byte empty = 0;
        if (Native.statx(fd, &empty, Native.AT_EMPTY_PATH, Native.STATX_BASIC_STATS, &st) != 0)
            throw new UnreadableFileException(FileErrors.Describe(Marshal.GetLastPInvokeError()));
        if ((st.Mode & Native.S_IFMT) != Native.S_IFREG) throw new UnreadableFileException($"is {Kind(st.Mode)}, not a regular file");
        return new FileStamp(st.DeviceMajor, st.DeviceMinor, st.Inode, st.Size,
            st.ModifiedSeconds, st.ModifiedNanoseconds, st.ChangedSeconds, st.ChangedNanoseconds);
    }

    private static string Kind(int mode) => (mode & Native.S_IFMT) switch
    {
        Native.S_IFIFO => "a named pipe (FIFO)",
        Native.S_IFCHR => "a character device",
        Native.S_IFBLK => "a block device",
        Native.S_IFDIR => "a directory",
        Native.S_IFSOCK => "a socket",
        _ => "a special file",
    };

    private static UnreadableFileException TooLarge(int maxBytes) =>
        new($"is larger than {maxBytes / 1024} KiB");
}
