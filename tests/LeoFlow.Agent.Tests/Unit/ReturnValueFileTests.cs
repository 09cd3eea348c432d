using System.Runtime.InteropServices;
using System.Text;

namespace LeoFlow.Agent.Tests.Unit;

public sealed partial class ReturnValueFileTests
{
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
        Assert.Null(rv.Read());
    }

    [Fact]
    public void NoDirectoryMeansNoReturnValueEither()
    {
        var rv = ReturnValueFile.Create();
        rv.Dispose();
        Assert.Null(rv.Read());
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
        Assert.Equal(Encoding.UTF8.GetBytes(json), rv.Read());
    }

    [Fact]
    public void ExactlyTheLimitIsAccepted()
    {
        using var rv = ReturnValueFile.Create();
        string json = "\"" + new string('a', ReturnValueFile.MaxBytes - 2) + "\"";
        File.WriteAllText(rv.Path, json);
        Assert.Equal(ReturnValueFile.MaxBytes, rv.Read()!.Length);
    }

    [Fact]
    public void OverTheLimitIsPayloadTooLarge()
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, "\"" + new string('a', ReturnValueFile.MaxBytes - 1) + "\"");
        var e = Assert.Throws<TaskFailedException>(rv.Read);
        Assert.Contains("payload_too_large", e.Message);
        Assert.Contains("262144", e.Message);
    }

    [Fact]
    public async Task OverTheLimitIsDetectedWithoutReadingToTheEnd()
    {
        // /dev/zero has no end: a reader that wanted the whole file would never return.
        using var rv = ReturnValueFile.Create();
        File.CreateSymbolicLink(rv.Path, "/dev/zero");

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Task.Run(rv.Read).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("payload_too_large", e.Message);
    }

    [Fact]
    public async Task AFifoAtThePathIsRefusedInsteadOfBlockingTheAgent()
    {
        // No writer ever opens it: a blocking open or read would wait for ever.
        using var rv = ReturnValueFile.Create();
        Assert.Equal(0, mkfifo(rv.Path, 0b110_000_000));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Task.Run(rv.Read).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("not a regular file", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("hello")]
    [InlineData("{\"a\": 1")]
    [InlineData("{} {}")]
    [InlineData("[1,]")]
    [InlineData("{'a': 1}")]
    public void NonJsonIsAFailure(string content)
    {
        using var rv = ReturnValueFile.Create();
        File.WriteAllText(rv.Path, content);
        var e = Assert.Throws<TaskFailedException>(rv.Read);
        Assert.StartsWith("return value is not valid JSON", e.Message);
    }

    [Fact]
    public void AnUnreadableValueIsAFailure()
    {
        using var rv = ReturnValueFile.Create();
        Directory.CreateDirectory(rv.Path);   // a directory where the file should be
        var e = Assert.Throws<TaskFailedException>(rv.Read);
        Assert.StartsWith("reading return value: ", e.Message);
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
