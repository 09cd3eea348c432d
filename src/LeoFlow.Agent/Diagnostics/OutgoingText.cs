using System.Text;
using LeoFlow.Agent.Channel;

namespace LeoFlow.Agent.Diagnostics;

/// <summary>
/// The one place every text the agent sends out about itself passes through: its diagnostics, the
/// termination log, the framing lines of the task log and ReportState's error_message. Each
/// token the agent has held becomes "[redacted]" (a control plane may echo it in an error), and
/// control characters from such a message cannot reach a terminal or the pod's status raw: a
/// line break (CR LF, CR, LF, form feed, NEL) and a tab become a space, every other C0 control, DEL and the C1 controls are written
/// as the six characters \u00XX.
/// </summary>
public sealed class OutgoingText
{
    public const string Redacted = "[redacted]";

    private readonly Func<IReadOnlyCollection<string>> _secrets;

    /// <summary>Redacts the secrets <paramref name="secrets"/> returns at each use: a token file's rotated tokens too.</summary>
    public OutgoingText(Func<IReadOnlyCollection<string>> secrets) => _secrets = secrets;

    /// <summary>Redacts these fixed secrets.</summary>
    public OutgoingText(IEnumerable<string> secrets)
    {
        string[] fixedSecrets = secrets.ToArray();
        _secrets = () => fixedSecrets;
    }

    /// <summary>Redacts every token <paramref name="token"/> hands out; null: nothing to redact.</summary>
    public static OutgoingText For(TokenSource? token) => token is null ? new OutgoingText([]) : new OutgoingText(() => token.All);

    public string Clean(string text) => Clean(text, _secrets());

    /// <summary>For a writer that keeps its own list of secrets.</summary>
    public static string Clean(string text, IReadOnlyCollection<string> secrets)
    {
        // Shorter ones are refused as configuration (TokenSource.MinLength): one here is a value
        // that failed that check, and replacing it would shred the very message saying so.
        foreach (var secret in secrets)
            if (secret.Length >= TokenSource.MinLength) text = text.Replace(secret, Redacted, StringComparison.Ordinal);
        return EscapeControls(text);
    }

    private static bool IsControl(char c) => c < 0x20 || c is >= '\u007f' and <= '\u009f';

    private static string EscapeControls(string text)
    {
        text = text.ReplaceLineEndings(" ");   // CR LF as one break, as a lone CR or LF
        if (!text.Any(IsControl)) return text;
        var clean = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (!IsControl(c)) clean.Append(c);
            else if (c == '\t') clean.Append(' ');
            else clean.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        }
        return clean.ToString();
    }
}
