using System.Text;
using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent;

/// <summary>
/// Kubernetes shows the contents of <c>/dev/termination-log</c> as the container's termination
/// message, so the reason a task failed is on the pod without reading its logs. The default path
/// is written only when it exists (the kubelet creates it; elsewhere /dev is not ours to litter);
/// LEOFLOW_AGENT_TERMINATION_LOG names another file (created if needed), and set empty turns it off.
/// The pod's status is read by more people than the token's Secret: the reason passes through
/// <see cref="OutgoingText"/> (secrets masked, control characters escaped).
/// </summary>
internal sealed class TerminationLog
{
    public const string DefaultPath = "/dev/termination-log";
    public const string Variable = "LEOFLOW_AGENT_TERMINATION_LOG";

    /// <summary>The kubelet reads at most this many bytes of the file.</summary>
    public const int MaxBytes = 4096;

    private readonly IDiagnostics _diagnostics;
    private readonly OutgoingText _text;
    private readonly bool _create;

    internal TerminationLog(string? path, bool create, OutgoingText text, IDiagnostics diagnostics)
    {
        Path = path;
        _create = create;
        _text = text;
        _diagnostics = diagnostics;
    }

    /// <summary>The file written, or null when turned off.</summary>
    public string? Path { get; }

    public static TerminationLog FromEnvironment(IReadOnlyDictionary<string, string> env, OutgoingText text, IDiagnostics diagnostics) =>
        env.TryGetValue(Variable, out var path)
            ? new TerminationLog(path.Length == 0 ? null : path, create: true, text, diagnostics)
            : new TerminationLog(DefaultPath, create: false, text, diagnostics);

    public void Write(string reason)
    {
        if (Path is null || (!_create && !File.Exists(Path))) return;
        try
        {
            using var file = new FileStream(Path, _create ? FileMode.Create : FileMode.Truncate, FileAccess.Write);
            file.Write(Encode(_text.Clean(reason)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _diagnostics.Warn($"cannot write the termination log {Path}", Channel.FileErrors.DescribeWrite(e));
        }
    }

    /// <summary>One line, cut to <see cref="MaxBytes"/> at a character boundary.</summary>
    internal static byte[] Encode(string reason)
    {
        string line = reason.ReplaceLineEndings(" ").Trim();
        var bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length <= MaxBytes) return bytes;
        int cut = MaxBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--;   // not inside a multibyte character
        return bytes[..cut];
    }
}
