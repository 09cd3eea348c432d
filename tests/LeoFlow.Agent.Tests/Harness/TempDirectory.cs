namespace LeoFlow.Agent.Tests.Harness;

/// <summary>A fresh directory under the system temp directory, removed with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("leoflow-test-").FullName;

    public string Path { get; }

    /// <summary>Writes <paramref name="name"/> with the given mode and returns its full path.</summary>
    public string WriteFile(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = System.IO.Path.Join(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public const UnixFileMode Executable = (UnixFileMode)0b111_101_101;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { /* the test removed it already */ }
    }
}
