using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using LeoFlow.Agent.Channel;
using LeoFlow.Agent.Json;
using LeoFlow.Agent.Output;

namespace LeoFlow.Agent.Cli;

/// <summary>The subcommands besides running a task: version, help, install.</summary>
internal static class Commands
{
    public static string AgentVersion => BuildInfo.Version.Length > 0 ? BuildInfo.Version : "dev";
    private static string Commit => BuildInfo.Commit.Length > 0 ? BuildInfo.Commit : "unknown";

    public static int Version(bool json)
    {
        var info = new VersionInfo(AgentVersion, Commit, RuntimeInformation.RuntimeIdentifier);
        Print(1, (json
            ? JsonSerializer.Serialize(info, AgentJsonContext.Relaxed.VersionInfo)
            : $"leoflow-agent {info.Version} (commit {info.Commit}, {info.Runtime})") + "\n");
        return 0;
    }

    public static int Help()
    {
        Print(1, """
            leoflow-agent: runs one LeoFlow task inside its container, configured by environment.

            Usage:
              leoflow-agent                 run the task (see LEOFLOW_* variables below)
              leoflow-agent install DEST    copy this binary to DEST (a directory or a file path)
              leoflow-agent --version       print version, commit and runtime
              leoflow-agent version --json  the same as JSON
              leoflow-agent --help          this text

            Environment:
              LEOFLOW_CONTROL_PLANE_ADDR    host:port, http://host:port or https://host:port (required)
              LEOFLOW_AGENT_TOKEN           bearer token (or LEOFLOW_AGENT_TOKEN_FILE, re-read on change)
              LEOFLOW_AGENT_INSECURE        host:port form only: TLS when exactly "false", else plaintext
              LEOFLOW_AGENT_TLS_CA          PEM CA bundle trusted instead of the system roots
              LEOFLOW_AGENT_TLS_CERT        PEM client certificate for mutual TLS (with LEOFLOW_AGENT_TLS_KEY)
              LEOFLOW_AGENT_TLS_KEY         its unencrypted PEM private key (never passed to the task)
              LEOFLOW_AGENT_GRACE_PERIOD    SIGTERM to SIGKILL wait for the task (default 10s)
              LEOFLOW_AGENT_TERMINATION_LOG file for the one-line failure reason (default /dev/termination-log
                                            when it exists; empty: none)
              LEOFLOW_PYTHON                interpreter for python tasks (default python)
              LEOFLOW_AGENT_MASK_SECRETS    false: leave the task's secrets unmasked in its log (default true)
              TRACEPARENT, TRACESTATE       W3C trace context to continue (else the agent starts a trace)
              OTEL_EXPORTER_OTLP_ENDPOINT   OTLP/gRPC collector for the agent's spans (and the other
                                            OTEL_EXPORTER_OTLP_* settings, OTEL_SERVICE_NAME, ...)

            Exit codes: 0 task succeeded, 1 task failed or control plane unreachable, 2 bad configuration.

            """);
        return 0;
    }

    public static int Usage(string error)
    {
        Print(2, $"leoflow-agent: {error} (see leoflow-agent --help)\n");
        return 2;
    }

    /// <summary>
    /// Copies the running executable to <paramref name="destination"/> atomically (temp file in the
    /// same directory, fsync, chmod 0755, rename), so an image without a shell or cp can take it.
    /// </summary>
    public static int Install(string destination)
    {
        string? self = Environment.ProcessPath;
        if (self is null) return Fail("cannot find the running executable");
        string target = Directory.Exists(destination) ? Path.Join(destination, "leoflow-agent") : destination;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(target));
        if (dir is null || !Directory.Exists(dir)) return Fail($"destination directory {dir} does not exist");
        string temp = Path.Join(dir, $".leoflow-agent.{Environment.ProcessId}.tmp");
        try
        {
            using (var source = new FileStream(self, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var copy = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                source.CopyTo(copy);
                copy.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(temp, (UnixFileMode)0b111_101_101);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            return Fail($"installing to {target}: {FileErrors.DescribeWrite(e)}");
        }
        Print(1, $"installed {target}\n");
        return 0;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the install error is what gets reported */ }
    }

    private static int Fail(string message)
    {
        Print(2, $"leoflow-agent: install: {message}\n");
        return 1;
    }

    /// <summary>
    /// A command's output, straight to the descriptor (Output/DescriptorStream): Console would
    /// bring its terminal handling into the binary for these few lines (about 40 KB). A broken
    /// descriptor loses them.
    /// </summary>
    private static void Print(int fd, string text)
    {
        try { new DescriptorStream(fd).Write(Encoding.UTF8.GetBytes(text)); }
        catch (IOException) { /* nobody to tell */ }
    }
}
