using System.Runtime.InteropServices;

namespace LeoFlow.Agent.Tests.Tls;

/// <summary>
/// A token laid out and rotated exactly as the kubelet does for a projected service-account token:
/// DIR/token -> ..data/token, ..data -> ..TIMESTAMP, the file in a timestamped directory. A rotation
/// writes a new timestamped directory, points a new symlink at it and renames that over ..data
/// (one atomic step), then removes the old directory.
/// </summary>
internal sealed partial class ProjectedVolume
{
    private int _generation;
    private string? _current;

    public ProjectedVolume(string directory, string token)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        Swap(token);
        File.CreateSymbolicLink(TokenPath, Path.Join("..data", "token"));
    }

    public string Directory { get; }

    /// <summary>What the agent is given: the link, never the timestamped file.</summary>
    public string TokenPath => Path.Join(Directory, "token");

    /// <summary>Makes <paramref name="token"/> current the kubelet's way.</summary>
    public void Swap(string token)
    {
        string stamped = $"..2026_12_01_10_00_{_generation++:00}.{Environment.ProcessId % 1000:000}";
        System.IO.Directory.CreateDirectory(Path.Join(Directory, stamped));
        File.WriteAllText(Path.Join(Directory, stamped, "token"), token);
        string next = Path.Join(Directory, "..data_tmp");
        File.CreateSymbolicLink(next, stamped);
        // rename(2) replaces the old link in one step (File.Move would follow the link to the directory).
        if (rename(next, Path.Join(Directory, "..data")) != 0) throw new IOException($"rename: errno {Marshal.GetLastPInvokeError()}");
        if (_current is not null) System.IO.Directory.Delete(Path.Join(Directory, _current), recursive: true);
        _current = stamped;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);
}
