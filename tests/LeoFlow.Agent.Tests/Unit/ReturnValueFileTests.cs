using System.Runtime.InteropServices;
using System.Text;

namespace LeoFlow.Agent.Tests.Unit;

public sealed partial class ReturnValueFileTests
{
    private const int Limit = 1024;

    [Fact]
    public void LivesInAFreshPrivateDirectoryUnderTmp()
    {
        using var a = ReturnValueFile.Create();
        using var b = ReturnValueFile.Create();

        Assert.NotEqual(a.Directory, b.Directory);
        Assert.StartsWith(Path.GetTempPath().TrimEnd('/') + "/leoflow-rv-", a.Directory);
        Assert.Equal(Path.Join(a.Directory, "return_value.json"), a.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(a.Directory));
    }

    [Fact]
    public void NoFileMeansNoReturnValue()
    {
        using var rv = ReturnValueFile.Create();
        Assert.Null(rv.Read(Limit));
    }

    [Fact]
    public void NoDirectoryMeansNoReturnValueEither()
    {
        var rv = ReturnValueFile.Create();
        rv.Dispose();
        Assert.Null(rv.Read(Limit));
    }

    [Theory]
    [InlineData("""{"total": 6, "items": ["é", null]}""")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    [InlineData("  [1, 2]\n")]
    public void ValidJsonIsReturnedByteForByte(string json)
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, json);
        Assert.Equal(Encoding.UTF8.GetBytes(json), rv.Read(Limit));
    }

    [Fact]
    public void ExactlyTheLimitIsAccepted()
    {
        using var rv = ReturnValueFile.Create();
        string json = "\"" + new string('a', Limit - 2) + "\"";
        File.WriteAllText(rv.Path, json);
        Assert.Equal(Limit, rv.Read(Limit)!.Length);
    }

    [Fact]
    public void AValueLargerThanTheFirstReadBufferIsReadWhole()
    {
        using var rv = ReturnValueFile.Create();
        string json = "\"" + new string('a', 1024 * 1024) + "\"";
        File.WriteAllText(rv.Path, json);
        Assert.Equal(Encoding.UTF8.GetBytes(json), rv.Read(4 * 1024 * 1024));
    }

    [Fact]
    public void OverTheLimitIsAFailureSayingTheLimit()
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, "\"" + new string('a', Limit - 1) + "\"");
        var e = Assert.Throws<TaskFailedException>(() => rv.Read(Limit));
        Assert.Equal($"return value {rv.Path} is over the {Limit} bytes one PushXCom message can carry (gRPC's 4 MiB message limit)", e.Message);
    }

    [Fact]
    public async Task OverTheLimitIsDetectedWithoutReadingToTheEnd()
    {
        // /dev/zero has no end: a reader that wanted the whole file would never return.
        using var rv = ReturnValueFile.Create();
        File.CreateSymbolicLink(rv.Path, "/dev/zero");

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Task.Run(() => rv.Read(Limit)).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains($"is over the {Limit} bytes", e.Message);
    }

    [Fact]
    public async Task AFifoAtThePathIsRefusedInsteadOfBlockingTheAgent()
    {
        // No writer ever opens it: a blocking open or read would wait for ever.
        using var rv = ReturnValueFile.Create();
        Assert.Equal(0, mkfifo(rv.Path, 0b110_000_000));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Task.Run(() => rv.Read(Limit)).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal($"reading the return value {rv.Path}: it is not a regular file (a pipe or socket)", e.Message);
    }

    [Theory]
    [InlineData("hello", 1, 1)]
    [InlineData("{\"a\": 1", 1, 8)]
    [InlineData("{} {}", 1, 4)]
    [InlineData("[1,]", 1, 4)]
    [InlineData("{'a': 1}", 1, 2)]
    [InlineData("[\n  1,\n  secret\n]", 3, 3)]
    public void NonJsonIsAFailureSayingWhereButNotWhat(string content, int line, int column)
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, content);
        var e = Assert.Throws<TaskFailedException>(() => rv.Read(Limit));
        Assert.Equal($"return value {rv.Path} is not valid JSON (line {line}, byte {column})", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    public void AnEmptyValueIsAFailure(string content)
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, content);
        var e = Assert.Throws<TaskFailedException>(() => rv.Read(Limit));
        Assert.Equal($"return value {rv.Path} is empty, not a JSON value", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsAFailure()
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllBytes(rv.Path, [(byte)'"', 0xFF, (byte)'"']);
        var e = Assert.Throws<TaskFailedException>(() => rv.Read(Limit));
        Assert.Equal($"return value {rv.Path} is not valid JSON (not UTF-8)", e.Message);
    }

    [Fact]
    public void ADirectoryAtThePathIsAFailure()
    {
        using var rv = ReturnValueFile.Create();
        Directory.CreateDirectory(rv.Path);   // a directory where the file should be
        var e = Assert.Throws<TaskFailedException>(() => rv.Read(Limit));
        Assert.Equal($"reading the return value {rv.Path}: it is a directory", e.Message);
    }

    [Fact]
    public void DisposeRemovesTheDirectoryAndWhatIsInIt()
    {
        var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, "1");
        File.WriteAllText(Path.Join(rv.Directory, "other"), "x");

        rv.Dispose();

        Assert.False(Directory.Exists(rv.Directory));
        rv.Dispose();   // twice is harmless
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkfifo(string path, uint mode);
}
