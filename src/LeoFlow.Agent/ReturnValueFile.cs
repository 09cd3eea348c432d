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
            using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            buffer = new byte[MaxBytes + 1];
            length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
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
