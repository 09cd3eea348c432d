using System.Runtime.InteropServices;

namespace LeoFlow.Agent.Process;

/// <summary>
/// The few libc calls the runner needs that System.Diagnostics.Process does not offer: spawning
/// into a new session with /dev/null as stdin and default signal dispositions, signalling a
/// process group, and waiting for any child (PID-1 reaping); and reading a small file without
/// blocking (Channel/RegularFile); writing the agent's own stdout and stderr at the descriptor's
/// offset (Output/DescriptorStream). Source-generated, so AOT-safe.
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15;
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ECHILD = 10, EAGAIN = 11, EACCES = 13, ENOTDIR = 20, EISDIR = 21, ENAMETOOLONG = 36, ELOOP = 40;
    public const int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int SEEK_SET = 0, SEEK_END = 2;
    public const int F_GETFD = 1;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_BASIC_STATS = 0x7ff;
    public const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFSOCK = 0xC000;
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const short POLLOUT = 4;

    // glibc's posix_spawn flags (spawn.h). POSIX_SPAWN_SETSID needs glibc 2.26.
    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    // Opaque glibc structs, over-allocated: posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t
    // 80 and sigset_t 128 on x64 and arm64.
    public const int SpawnAttrSize = 1024, FileActionsSize = 256, SigSetSize = 256;

    [LibraryImport(Libc, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial int open(byte* path, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fcntl(int fd, int cmd);
    [LibraryImport(Libc, SetLastError = true)] public static partial long lseek(int fd, long offset, int whence);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nuint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nuint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial int poll(PollFd* fds, nuint count, int timeout);
    [LibraryImport(Libc, SetLastError = true)] public static partial byte* mkdtemp(byte* template);
    [LibraryImport(Libc, SetLastError = true)] public static partial int statx(int dirfd, byte* path, int flags, uint mask, Statx* result);
    [LibraryImport(Libc, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Libc, SetLastError = true)] public static partial int waitpid(int pid, int* status, int options);
    [LibraryImport(Libc, SetLastError = true)] public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Libc)] public static partial int getpid();

    [LibraryImport(Libc)] public static partial int sigemptyset(void* set);
    [LibraryImport(Libc)] public static partial int sigfillset(void* set);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigdefault(void* attr, void* set);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigmask(void* attr, void* set);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int oflag, int mode);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);
    [LibraryImport(Libc)] public static partial int posix_spawn(int* pid, byte* path, void* actions, void* attr, byte** argv, byte** envp);

    /// <summary>
    /// struct statx (linux/stat.h), the fields the agent reads: unlike struct stat its layout is the
    /// same on every architecture, and glibc has statx since 2.28.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long ChangedSeconds;
        [FieldOffset(104)] public uint ChangedNanoseconds;
        [FieldOffset(112)] public long ModifiedSeconds;
        [FieldOffset(120)] public uint ModifiedNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }

    /// <summary>struct pollfd (poll.h).</summary>
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Decodes a wait status into the shell's convention: the exit code, or 128+N for signal N.</summary>
    public static (int ExitCode, int Signal) DecodeWaitStatus(int status)
    {
        int termSig = status & 0x7f;
        return termSig == 0 ? ((status >> 8) & 0xff, 0) : (128 + termSig, termSig);
    }

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS",
        8 => "SIGFPE", 9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE", 14 => "SIGALRM",
        15 => "SIGTERM",
        _ => "signal " + signal,
    };
}
