using System.Globalization;
using System.Text;

namespace LeoFlow.Agent;

/// <summary>
/// Formats a duration the way Go's <c>time.Duration.String()</c> does after rounding to the
/// millisecond, because the framing lines of the task log are read by people used to the old
/// agent: <c>0s</c>, <c>500ms</c>, <c>1.234s</c>, <c>1m2.5s</c>, <c>1h0m0s</c>.
/// </summary>
public static class GoDuration
{
    public static string Format(TimeSpan duration)
    {
        long ms = (long)Math.Round(duration.TotalMilliseconds, MidpointRounding.AwayFromZero);
        if (ms == 0) return "0s";
        var sb = new StringBuilder();
        if (ms < 0) { sb.Append('-'); ms = -ms; }
        if (ms < 1000) return sb.Append(ms.ToString(CultureInfo.InvariantCulture)).Append("ms").ToString();

        long hours = ms / 3_600_000, minutes = ms / 60_000 % 60, seconds = ms / 1000 % 60, millis = ms % 1000;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        sb.Append(seconds.ToString(CultureInfo.InvariantCulture));
        if (millis > 0) sb.Append('.').Append(millis.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        return sb.Append('s').ToString();
    }
}
