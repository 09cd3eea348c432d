namespace LeoFlow.Agent;

/// <summary>Turns a task's operator and entrypoint into the argv the agent executes.</summary>
public static class TaskCommand
{
    /// <summary>
    /// <c>python</c> → [python, -m, leoflow_runtime, module:callable]; <c>bash</c> → [bash, -c,
    /// script]. <paramref name="python"/> is LEOFLOW_PYTHON from the agent's own environment.
    /// </summary>
    /// <exception cref="TaskFailedException">The operator or entrypoint cannot be run.</exception>
    public static string[] Build(string op, string entrypoint, string? python)
    {
        switch (op)
        {
            case "python":
                int colon = entrypoint.IndexOf(':');
                if (colon <= 0 || colon == entrypoint.Length - 1)
                    throw new TaskFailedException($"invalid python entrypoint \"{entrypoint}\": want module:callable");
                return [string.IsNullOrEmpty(python) ? "python" : python, "-m", "leoflow_runtime", entrypoint];
            case "bash":
                if (entrypoint.Length == 0)
                    throw new TaskFailedException("bash task has an empty entrypoint");
                return ["bash", "-c", entrypoint];
            case "http_api":
                throw new TaskFailedException("http_api tasks are executed by the control plane, not by the agent");
            default:
                throw new TaskFailedException($"unsupported operator \"{op}\"");
        }
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
