using System.Text;

namespace LeoFlow.Agent;

/// <summary>Turns a task's operator and entrypoint into the argv the agent executes.</summary>
public static class TaskCommand
{
    /// <summary>Linux's MAX_ARG_STRLEN: one argument, with its terminating NUL, may not be longer.</summary>
    public const int MaxArgumentBytes = 128 * 1024;

    /// <summary>
    /// <c>python</c> → [python, -m, leoflow_runtime, module:callable]; <c>bash</c> → [bash, -c,
    /// script]. <paramref name="python"/> is LEOFLOW_PYTHON from the agent's own environment.
    /// </summary>
    /// <exception cref="TaskFailedException">The operator or entrypoint cannot be run.</exception>
    public static string[] Build(string op, string entrypoint, string? python)
    {
        // Checked before anything reads them: the kernel takes every argument up to its first
        // NUL, so "safe\0evil:fn" would pass the colon check and run module "safe", and a script
        // would run its first part only and could still succeed.
        if (op.IndexOf('\0') is var nul and >= 0)
            throw new TaskFailedException($"operator \"{op.Replace("\0", "\\0")}\" has a NUL byte at character {nul + 1}");
        switch (op)
        {
            case "python":
                CheckArgument("python entrypoint", entrypoint);
                if (!string.IsNullOrEmpty(python)) CheckArgument("interpreter (LEOFLOW_PYTHON)", python);
                int colon = entrypoint.IndexOf(':');
                if (colon <= 0 || colon == entrypoint.Length - 1)
                    throw new TaskFailedException($"invalid python entrypoint \"{entrypoint}\": want module:callable");
                return [string.IsNullOrEmpty(python) ? "python" : python, "-m", "leoflow_runtime", entrypoint];
            case "bash":
                if (entrypoint.Length == 0)
                    throw new TaskFailedException("bash task has an empty entrypoint");
                CheckArgument("bash entrypoint", entrypoint);
                return ["bash", "-c", entrypoint];
            case "http_api":
                throw new TaskFailedException("http_api tasks are executed by the control plane, not by the agent");
            default:
                throw new TaskFailedException($"unsupported operator \"{op}\"");
        }
    }

    /// <summary>
    /// Refuses an argument execve would not pass as given: one with a NUL (the task would run up
    /// to it only) or one over <see cref="MaxArgumentBytes"/> (E2BIG, which would read as
    /// "cannot execute"). <paramref name="what"/> names it; its text stays out of the message.
    /// </summary>
    private static void CheckArgument(string what, string value)
    {
        int nul = value.IndexOf('\0');
        if (nul >= 0)
            throw new TaskFailedException($"{what} has a NUL byte at character {nul + 1}; the kernel would cut the command short there");
        int bytes = Encoding.UTF8.GetByteCount(value) + 1;
        if (bytes > MaxArgumentBytes)
            throw new TaskFailedException($"{what} is {bytes} bytes with its terminating NUL, over Linux's {MaxArgumentBytes}-byte limit for one argument");
    }

    /// <summary>
    /// Resolves <paramref name="file"/> the way Go's exec.LookPath does: a name with a slash is
    /// used as given; otherwise only absolute PATH entries are searched (never the current or the
    /// application's directory, which .NET would search first), for a regular executable file.
    /// </summary>
    /// <returns>The resolved path, or null when it is not found.</returns>
    public static string? ResolveExecutable(string file, string? pathVariable)
    {
        if (file.Contains('/')) return file;
        foreach (var dir in (pathVariable ?? "").Split(':'))
        {
            if (dir.Length == 0 || dir[0] != '/') continue;
            var candidate = Path.Join(dir, file);
            if (IsExecutableFile(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return false;
            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (info.UnixFileMode & anyExecute) != 0;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
