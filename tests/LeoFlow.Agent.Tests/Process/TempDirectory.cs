namespace LeoFlow.Agent.Tests.Process;

/// <summary>A fresh directory for a test's marker files, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("leoflow-proc-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a leftover temp directory is not the test's failure */ }
    }
}
