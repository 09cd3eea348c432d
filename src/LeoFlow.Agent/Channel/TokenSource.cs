namespace LeoFlow.Agent.Channel;

/// <summary>
/// The bearer token: fixed (LEOFLOW_AGENT_TOKEN) or read from a file (LEOFLOW_AGENT_TOKEN_FILE),
/// re-read whenever the file's timestamp or size changes so a projected, rotated token is picked
/// up between RPCs.
/// </summary>
public sealed class TokenSource
{
    private readonly string? _file;
    private readonly Lock _lock = new();
    private string _token;
    private (DateTime, long) _stamp;
    private volatile string[] _all;

    private TokenSource(string token, string? file)
    {
        _token = token;
        _file = file;
        _all = token.Length > 0 ? [token] : [];
    }

    /// <summary>
    /// Every token this source has handed out (the current one and those rotated away), for
    /// diagnostics to redact: an old token is as secret as the new one until it expires.
    /// </summary>
    public IReadOnlyCollection<string> All => _all;

    public static TokenSource Fixed(string token) => new(token, null);

    /// <exception cref="ConfigurationException">The file cannot be read or is empty.</exception>
    public static TokenSource FromFile(string path)
    {
        var source = new TokenSource("", path);
        try { source.Current(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"LEOFLOW_AGENT_TOKEN_FILE \"{path}\" cannot be read: {e.Message}");
        }
        if (source._token.Length == 0) throw new ConfigurationException($"LEOFLOW_AGENT_TOKEN_FILE \"{path}\" is empty");
        return source;
    }

    /// <summary>The token to send now.</summary>
    public string Current()
    {
        if (_file is null) return _token;
        var info = new FileInfo(_file);
        var stamp = (info.LastWriteTimeUtc, info.Exists ? info.Length : -1);
        lock (_lock)
        {
            if (stamp != _stamp)
            {
                try
                {
                    string text = File.ReadAllText(_file).Trim();
                    if (text.Length > 0 && text != _token)   // a file caught mid-rotation keeps the last token
                    {
                        _token = text;
                        if (!_all.Contains(text)) _all = [.. _all, text];
                    }
                    _stamp = stamp;
                }
                catch (Exception e) when (_token.Length > 0 && e is IOException or UnauthorizedAccessException)
                {
                    // Mid-rotation (the projected volume swaps a symlink): keep the last token, retry next call.
                }
            }
            return _token;
        }
    }
}
