using LeoFlow.Agent.Diagnostics;

namespace LeoFlow.Agent.Channel;

/// <summary>
/// The bearer token: fixed (LEOFLOW_AGENT_TOKEN) or read from a file (LEOFLOW_AGENT_TOKEN_FILE).
/// The file is checked before each request: when the file its path resolves to is another one
/// (the kubelet swaps the ..data symlink of a projected volume) or was rewritten, it is read
/// again, so a rotated token is picked up between RPCs. A file that turns bad later (empty, not a
/// regular file, gone) keeps the last good token, with one warning.
/// </summary>
public sealed class TokenSource
{
    /// <summary>
    /// The shortest token accepted. Everything the agent writes has the token masked as "***";
    /// a token of a character or two would shred every message and still say what it is.
    /// </summary>
    public const int MinLength = 8;

    /// <summary>The most of a token file read; a token is a few KiB at most.</summary>
    public const int MaxFileBytes = 64 * 1024;

    private readonly string? _file;
    private readonly Lock _lock = new();
    private string _token;
    private FileStamp? _stamp;
    private volatile string[] _all;
    private volatile int _version;
    private IDiagnostics? _diagnostics;
    private Masking.SecretRegistry? _secrets;
    private bool _warned;

    private TokenSource(string token, string? file)
    {
        _token = token;
        _file = file;
        _all = token.Length > 0 ? [token] : [];
    }

    /// <summary>
    /// Every token this source has handed out (the current one and those rotated away): an old
    /// token is as secret as the new one until it expires, and stays masked (<see cref="MaskIn"/>).
    /// </summary>
    public IReadOnlyCollection<string> All => _all;

    /// <summary>How often the token changed; a call compares it before and after to know whether a retry would send another token.</summary>
    public int Version => _version;

    public static TokenSource Fixed(string token) => new(token, null);

    /// <exception cref="ConfigurationException">The file cannot be read, is not a regular file, is too large, or holds no usable token.</exception>
    public static TokenSource FromFile(string path)
    {
        var source = new TokenSource("", path);
        if (source.Read(force: true) is { } problem) throw new ConfigurationException($"LEOFLOW_AGENT_TOKEN_FILE \"{path}\" {problem}");
        return source;
    }

    /// <summary>Why <paramref name="token"/> cannot be used, as words to follow where it came from; null if it can.</summary>
    public static string? Check(string token) => token.Length == 0 ? "is empty"
        : token.Length < MinLength ? $"holds a token of {token.Length} character(s): a bearer token needs at least {MinLength}"
        : null;

    /// <summary>Masks every token this source has handed out and will hand out in <paramref name="secrets"/>, each before it is first sent.</summary>
    public void MaskIn(Masking.SecretRegistry secrets)
    {
        lock (_lock)
        {
            _secrets = secrets;
            foreach (var token in _all) secrets.AddToken(token);
        }
    }

    /// <summary>Where a file that went bad after start-up is reported (once, until it is good again).</summary>
    public void WarnTo(IDiagnostics diagnostics) => _diagnostics = diagnostics;

    /// <summary>The token to send now.</summary>
    public string Current()
    {
        if (_file is null) return _token;
        lock (_lock)
        {
            Refresh(force: false);
            return _token;
        }
    }

    /// <summary>
    /// Reads the file whatever its stamp says (the control plane refused the token: the stamp may
    /// miss a rewrite within the file system's time resolution). Returns <see cref="Version"/>.
    /// </summary>
    public int Reload()
    {
        if (_file is null) return _version;
        lock (_lock)
        {
            Refresh(force: true);
            return _version;
        }
    }

    private void Refresh(bool force)
    {
        if (Read(force) is not { } problem)
        {
            _warned = false;
            return;
        }
        if (_warned) return;
        _warned = true;
        _diagnostics?.Warn($"LEOFLOW_AGENT_TOKEN_FILE \"{_file}\" {problem}; the agent keeps sending the last token it read");
    }

    /// <summary>Reads the file if forced or its stamp changed; what is wrong with it, or null.</summary>
    private string? Read(bool force)
    {
        FileStamp stamp;
        string? text;
        try { (stamp, text) = RegularFile.Read(_file!, MaxFileBytes, force ? null : _stamp); }
        catch (UnreadableFileException e) { return e.Message; }
        if (text is null) return null;   // the same file, unchanged
        text = text.Trim();
        if (Check(text) is { } problem) return problem;   // e.g. caught mid-write: keep the last token, read again next time
        _stamp = stamp;
        if (text != _token)
        {
            _secrets?.AddToken(text);
            _token = text;
            if (!_all.Contains(text)) _all = [.. _all, text];
            _version++;
        }
        return null;
    }
}
