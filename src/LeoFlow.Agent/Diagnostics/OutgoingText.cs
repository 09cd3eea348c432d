using System.Text;
using LeoFlow.Agent.Masking;

namespace LeoFlow.Agent.Diagnostics;

/// <summary>
/// The one place every text the agent sends out about itself passes through: its diagnostics, the
/// termination log, the framing lines of the task log and ReportState's error_message. Each
/// secret of the <see cref="SecretRegistry"/> (every token the agent has held, and the task's
/// secrets) becomes "***" (a control plane may echo one in an error), and control characters
/// from such a message cannot reach a terminal or the pod's status raw: a line break (CR LF, CR,
/// LF, form feed, NEL) and a tab become a space, every other C0 control, DEL and the C1 controls
/// are written as the six characters \u00XX.
/// </summary>
public sealed class OutgoingText(SecretRegistry secrets)
{
    public SecretRegistry Secrets { get; } = secrets;

    public string Clean(string text) => EscapeControls(Secrets.Masker.Mask(text));

    private static bool IsControl(char c) => c < 0x20 || c is >= '\u007f' and <= '\u009f';

    private static string EscapeControls(string text)
    {
        text = text.ReplaceLineEndings(" ");   // CR LF as one break, as a lone CR or LF
        int first = 0;
        while (first < text.Length && !IsControl(text[first])) first++;
        if (first == text.Length) return text;
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
