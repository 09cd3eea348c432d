using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent;

/// <summary>
/// The per-task file the task writes its return value to (LEOFLOW_RETURN_VALUE_PATH): a fresh
/// private directory under TMPDIR, removed when disposed. Its messages are the agent's own words
/// and the system's errno text, never a runtime resource key, and never the file's contents.
/// </summary>
public sealed class ReturnValueFile : IDisposable
{
    public const string FileName = "return_value.json";

    /// <summary>What a first read takes; a larger value grows the buffer, so a small one costs little.</summary>
    private const int FirstReadBytes = 64 * 1024;

    private ReturnValueFile(string directory) => Directory = directory;

    public string Directory { get; }
    public string Path => System.IO.Path.Join(Directory, FileName);

    /// <summary>Creates <c>$TMPDIR/leoflow-rv-XXXXXX/</c> (mode 0700, mkdtemp).</summary>
    /// <exception cref="IOException">TMPDIR is missing or unusable: the message is its path and the errno text.</exception>
    public static unsafe ReturnValueFile Create()
    {
        string parent = System.IO.Path.GetTempPath();
        var template = System.Text.Encoding.UTF8.GetBytes(System.IO.Path.Join(parent, "leoflow-rv-XXXXXX") + "\0");
        fixed (byte* p = template)
        {
            if (Native.mkdtemp(p) is null)
                throw new IOException($"{(parent.Length > 1 ? parent.TrimEnd('/') : parent)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}");
        }
        return new(System.Text.Encoding.UTF8.GetString(template, 0, template.Length - 1));
    }

    /// <summary>
    /// Reads the value: null when the task wrote none. Reads at most <paramref name="maxBytes"/>+1
    /// bytes, so a runaway file costs nothing.
    /// </summary>
    /// <exception cref="TaskFailedException">Unreadable, larger than <paramref name="maxBytes"/>, or not JSON.</exception>
    public byte[]? Read(int maxBytes)
    {
        byte[] value;
        try
        {
            using var file = OpenRegular();
            if (file is null) return null;
            value = ReadAtMost(file, maxBytes + 1);
        }
        catch (IOException e)
        {
            throw new TaskFailedException($"reading the return value {Path}: {e.Message}");
        }
        if (value.Length > maxBytes)
            throw new TaskFailedException($"return value {Path} is over the {maxBytes} bytes one PushXCom message can carry (gRPC's 4 MiB message limit)");
        EnsureJson(value);
        return value;
    }

    /// <summary>
    /// Opens the file without blocking and refuses anything that is not a regular file: a FIFO
    /// left at the path would otherwise block the agent for ever (on open, or on a read no writer
    /// ends) while its heartbeats keep the task alive. Null when there is no file.
    /// </summary>
    /// <exception cref="IOException">With the errno text or what the path is instead.</exception>
    private unsafe SafeFileHandle? OpenRegular()
    {
        int fd;
        fixed (byte* path = System.Text.Encoding.UTF8.GetBytes(Path + "\0"))
            fd = Native.open(path, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastSystemError();
            if (errno is Native.ENOENT or Native.ENOTDIR) return null;
            throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        // A directory first: some file systems refuse SEEK_END on one, which would misname it.
        string? notAFile = File.GetAttributes(handle).HasFlag(FileAttributes.Directory) ? "it is a directory"
            : Native.lseek(fd, 0, Native.SEEK_END) < 0 || Native.lseek(fd, 0, Native.SEEK_SET) < 0 ? "it is not a regular file (a pipe or socket)"
            : null;
        if (notAFile is null) return handle;
        handle.Dispose();
        throw new IOException(notAFile);
    }

    /// <summary>Up to <paramref name="limit"/> bytes, or fewer at the end of the file.</summary>
    private static unsafe byte[] ReadAtMost(SafeFileHandle file, int limit)
    {
        var buffer = new byte[Math.Min(limit, FirstReadBytes)];
        int length = 0;
        while (length < limit)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, limit));
            nint n;
            fixed (byte* p = &buffer[length])
                n = Native.read((int)file.DangerousGetHandle(), p, (nuint)(buffer.Length - length));
            if (n == 0) break;
            if (n < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == Native.EINTR) continue;
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
            }
            length += (int)n;
        }
        return length == buffer.Length ? buffer : buffer[..length];
    }

    /// <summary>
    /// Valid JSON (RFC 8259: UTF-8, one value). The reader's own message would quote the offending
    /// byte of the file (a secret, perhaps) and is a bare resource key in the binary, so the
    /// failure says where, in the agent's words.
    /// </summary>
    private void EnsureJson(byte[] value)
    {
        if (!System.Text.Unicode.Utf8.IsValid(value))
            throw new TaskFailedException($"return value {Path} is not valid JSON (not UTF-8)");
        if (value.AsSpan().IndexOfAnyExcept(" \t\r\n"u8) < 0)
            throw new TaskFailedException($"return value {Path} is empty, not a JSON value");
        try
        {
            var reader = new Utf8JsonReader(value);
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw new TaskFailedException($"return value {Path} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: a leftover temp dir harms nobody */ }
    }
}
