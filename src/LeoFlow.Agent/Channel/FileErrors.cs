using System.Runtime.InteropServices;
using LeoFlow.Agent.Process;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// Why a file could not be read, in words to follow its name. The runtime's own messages cannot
/// be shown: the binary is built without its message texts, so they are bare resource keys there.
/// </summary>
internal static class FileErrors
{
    /// <summary>For an errno of open(2) or read(2).</summary>
    public static string Describe(int errno) => errno switch
    {
        Native.ENOENT => "does not exist",
        Native.EACCES or Native.EPERM => "cannot be read: permission denied",
        Native.ENOTDIR => "does not exist (a part of its path is not a directory)",
        Native.EISDIR => "is a directory, not a file",
        Native.ELOOP => "cannot be read: too many levels of symbolic links",
        Native.ENAMETOOLONG => "cannot be read: the path is too long",
        _ => "cannot be read: " + Marshal.GetPInvokeErrorMessage(errno),   // strerror's text, which the binary keeps
    };

    /// <summary>Why a file could not be written or moved into place, for a runtime file API's exception.</summary>
    public static string DescribeWrite(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "its directory does not exist",
        PathTooLongException => "the path is too long",
        IOException { HResult: > 0 and < 4096 } io => Marshal.GetPInvokeErrorMessage(io.HResult),   // the errno, in strerror's words
        _ => "the write failed",
    };

    /// <summary>For the exception of a runtime file API that read <paramref name="path"/>.</summary>
    public static string Describe(Exception e, string path) => e switch
    {
        _ when Directory.Exists(path) => "is a directory, not a file",
        FileNotFoundException or DirectoryNotFoundException => "does not exist",
        UnauthorizedAccessException => "cannot be read: permission denied",
        PathTooLongException => "cannot be read: the path is too long",
        IOException { HResult: > 0 and < 4096 } io => Describe(io.HResult),   // on Linux the runtime puts the errno there
        _ => "cannot be read",
    };
}
