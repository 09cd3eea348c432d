using System.Text.Json;

namespace LeoFlow.Agent;

/// <summary>
/// The per-task file the task writes its return value to (LEOFLOW_RETURN_VALUE_PATH): a fresh
/// private directory under TMPDIR, removed when disposed.
/// </summary>
public sealed class ReturnValueFile : IDisposable
{
    /// <summary>The control plane rejects larger payloads (payload_too_large); reading stops here.</summary>
    public const int MaxBytes = 256 * 1024;

    public const string FileName = "return_value.json";

    private ReturnValueFile(string directory) => Directory = directory;

    public string Directory { get; }
    public string Path => System.IO.Path.Join(Directory, FileName);

    /// <summary>Creates <c>$TMPDIR/leoflow-rv-XXXXXX/</c> (mode 0700).</summary>
    public static ReturnValueFile Create() =>
        new(System.IO.Directory.CreateTempSubdirectory("leoflow-rv-").FullName);

    /// <summary>
    /// Reads the value: null when the task wrote none. Reads at most <see cref="MaxBytes"/>+1
    /// bytes, so a runaway file costs nothing.
    /// </summary>
    /// <exception cref="TaskFailedException">Unreadable, too large, or not JSON.</exception>
    public byte[]? Read()
    {
        byte[] buffer;
        int length;
        try
        {
            using var file = OpenSeekable();
            if (file is null) return null;
            buffer = new byte[MaxBytes + 1];
            length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TaskFailedException($"reading return value: {e.Message}");
        }
        if (length > MaxBytes)
            throw new TaskFailedException($"return value is over the control plane's {MaxBytes}-byte limit (payload_too_large)");
        var value = buffer.AsSpan(0, length).ToArray();
        EnsureJson(value);
        return value;
    }

    /// <summary>
    /// Opens the file without blocking and refuses anything that is not seekable: a FIFO left at
    /// the path would otherwise block the agent for ever (on open, or on a read no writer ends)
    /// while its heartbeats keep the task alive. Null when there is no file.
    /// </summary>
    private unsafe FileStream? OpenSeekable()
    {
        int fd;
        fixed (byte* path = System.Text.Encoding.UTF8.GetBytes(Path + "\0"))
            fd = Process.Native.open(path, Process.Native.O_RDONLY | Process.Native.O_NONBLOCK | Process.Native.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastSystemError();
            if (errno is Process.Native.ENOENT or Process.Native.ENOTDIR) return null;
            throw new IOException(System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno));
        }
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (Process.Native.lseek(fd, 0, Process.Native.SEEK_END) < 0 || Process.Native.lseek(fd, 0, Process.Native.SEEK_SET) < 0)
        {
            handle.Dispose();
            throw new IOException($"{Path} is not a regular file (a pipe or socket)");
        }
        return new FileStream(handle, FileAccess.Read, bufferSize: 0);
    }

    private static void EnsureJson(byte[] value)
    {
        try
        {
            var reader = new Utf8JsonReader(value);
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw new TaskFailedException($"return value is not valid JSON: {e.Message}");
        }
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: a leftover temp dir harms nobody */ }
    }
}
