using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LeoFlow.Agent.Process;

/// <summary>A failed spawn: errno and the text to show for it.</summary>
internal sealed class SpawnException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// Starts the task with posix_spawn rather than System.Diagnostics.Process, because Process can
/// give the child neither its own session (needed to signal the whole task tree as one process
/// group, so that a termination reaches grandchildren too) nor /dev/null as stdin (only the
/// agent's own stdin or a pipe) nor default signal dispositions: it resets handled signals but
/// keeps ignored ones, and .NET ignores SIGPIPE, an ignored signal survives exec, and that breaks
/// `yes | head` in a bash task. Process also reaps its children from the runtime's SIGCHLD
/// handling, which a PID-1 <c>waitpid(-1)</c> loop would race; spawning ourselves keeps every wait
/// status with <see cref="ChildReaper"/>.
/// glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK): no copy of the agent's address space,
/// and exec errors (ENOENT, EACCES) come back as its return value, not as a child that exits 127.
/// </summary>
internal static unsafe class Spawner
{
    /// <summary>
    /// Opens /dev/null on any of descriptors 0, 1 and 2 the agent was started without (a
    /// supervisor that closed them). Otherwise a pipe could be given one of those numbers and
    /// the spawn's dup2 onto 0, 1 and 2 would clobber it. Call first thing, before anything opens.
    /// </summary>
    public static void EnsureStandardDescriptors()
    {
        for (int fd = 0; fd <= 2; fd++)
        {
            if (Native.fcntl(fd, Native.F_GETFD) != -1) continue;
            fixed (byte* devNull = "/dev/null\0"u8)
                Native.open(devNull, Native.O_RDWR);   // takes the lowest free number: this one
        }
    }

    public readonly record struct Child(int Pid, Task<int> Status, SafeFileHandle Stdout, SafeFileHandle Stderr);

    /// <exception cref="SpawnException">The kernel refused: no such file, not executable, E2BIG…</exception>
    public static Child Spawn(ChildReaper reaper, string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        int* outPipe = stackalloc int[2];
        int* errPipe = stackalloc int[2];
        if (Native.pipe2(outPipe, Native.O_CLOEXEC) != 0) throw Errno("creating the stdout pipe");
        if (Native.pipe2(errPipe, Native.O_CLOEXEC) != 0)
        {
            CloseAll(outPipe[0], outPipe[1]);
            throw Errno("creating the stderr pipe");
        }

        var block = new NativeStrings(path, argv, env);
        void* attr = NativeMemory.AllocZeroed(Native.SpawnAttrSize);
        void* actions = NativeMemory.AllocZeroed(Native.FileActionsSize);
        void* sigset = NativeMemory.AllocZeroed(Native.SigSetSize);
        try
        {
            Native.posix_spawnattr_init(attr);
            Native.posix_spawnattr_setflags(attr, (short)(Native.POSIX_SPAWN_SETSID | Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETSIGMASK));
            Native.sigfillset(sigset);
            Native.posix_spawnattr_setsigdefault(attr, sigset);
            Native.sigemptyset(sigset);
            Native.posix_spawnattr_setsigmask(attr, sigset);

            Native.posix_spawn_file_actions_init(actions);
            fixed (byte* devNull = "/dev/null\0"u8)
                Native.posix_spawn_file_actions_addopen(actions, 0, devNull, Native.O_RDONLY, 0);
            Native.posix_spawn_file_actions_adddup2(actions, outPipe[1], 1);
            Native.posix_spawn_file_actions_adddup2(actions, errPipe[1], 2);

            int pid;
            Task<int> status;
            try
            {
                (pid, status) = reaper.Spawn(() =>
                {
                    int child = 0;
                    int error = Native.posix_spawn(&child, block.Path, actions, attr, block.Argv, block.Envp);
                    return error == 0 ? child : throw new SpawnException(error, Marshal.GetPInvokeErrorMessage(error));
                });
            }
            catch (SpawnException)
            {
                CloseAll(outPipe[0], errPipe[0]);
                throw;
            }
            finally
            {
                CloseAll(outPipe[1], errPipe[1]);
            }
            return new Child(pid, status, new SafeFileHandle(outPipe[0], ownsHandle: true), new SafeFileHandle(errPipe[0], ownsHandle: true));
        }
        finally
        {
            Native.posix_spawn_file_actions_destroy(actions);
            Native.posix_spawnattr_destroy(attr);
            NativeMemory.Free(sigset);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            block.Dispose();
        }
    }

    private static void CloseAll(params int[] fds)
    {
        foreach (var fd in fds) Native.close(fd);
    }

    private static SpawnException Errno(string what)
    {
        int errno = Marshal.GetLastSystemError();
        return new SpawnException(errno, what + ": " + Marshal.GetPInvokeErrorMessage(errno));
    }

    /// <summary>The path, argv and envp as NUL-terminated UTF-8 in native memory.</summary>
    private sealed class NativeStrings : IDisposable
    {
        private readonly List<nint> _allocations = [];

        public NativeStrings(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
        {
            Path = Utf8(path);
            Argv = Array(argv);
            Envp = Array(env);
        }

        public byte* Path { get; }
        public byte** Argv { get; }
        public byte** Envp { get; }

        private byte** Array(IReadOnlyList<string> items)
        {
            var array = (byte**)Alloc((items.Count + 1) * sizeof(byte*));
            for (int i = 0; i < items.Count; i++) array[i] = Utf8(items[i]);
            array[items.Count] = null;
            return array;
        }

        private byte* Utf8(string s)
        {
            int n = Encoding.UTF8.GetByteCount(s);
            var p = (byte*)Alloc(n + 1);
            Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
            p[n] = 0;
            return p;
        }

        private void* Alloc(int bytes)
        {
            var p = NativeMemory.Alloc((nuint)bytes);
            _allocations.Add((nint)p);
            return p;
        }

        public void Dispose()
        {
            foreach (var p in _allocations) NativeMemory.Free((void*)p);
        }
    }
}
