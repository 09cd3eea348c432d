using System.Buffers;
using System.Text;

namespace LeoFlow.Agent.Process;

/// <summary>
/// Cuts a pipe's raw bytes into lines: on <c>\n</c> only, a trailing <c>\r</c> dropped, each
/// complete line decoded as UTF-8 once (so a multibyte character split across reads stays whole
/// and invalid bytes become U+FFFD instead of breaking the log stream), lines longer than
/// <see cref="MaxLineBytes"/> cut into several at a character boundary, and the last line
/// delivered even without a newline. One pooled buffer per pipe; the only allocation per line is
/// the line's string.
/// </summary>
public static class LineSplitter
{
    /// <summary>The longest line shipped as one LogLine; longer lines continue in the next.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Reads <paramref name="pipe"/> to its end, writing each line to <paramref name="writer"/>.</summary>
    public static async Task PumpAsync(Stream pipe, OutputStream stream, ILineWriter writer)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxLineBytes);
        try
        {
            int start = 0, end = 0;
            bool continued = false;   // the current line was already cut at the limit
            while (true)
            {
                if (end == MaxLineBytes)
                {
                    if (start == 0)
                    {
                        int cut = CharBoundary(buffer.AsSpan(0, MaxLineBytes));
                        if (cut == MaxLineBytes && buffer[cut - 1] == (byte)'\r') cut--;   // it may be the \r of a \r\n
                        await writer.WriteLineAsync(stream, Decode(buffer.AsSpan(0, cut), trimCr: false)).ConfigureAwait(false);
                        start = cut;
                        continued = true;
                    }
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                int read = pipe.Read(buffer, end, MaxLineBytes - end);
                if (read == 0) break;
                int scan = end;
                end += read;
                int nl;
                while ((nl = buffer.AsSpan(scan, end - scan).IndexOf((byte)'\n')) >= 0)
                {
                    nl += scan;
                    await WriteEndAsync(writer, stream, buffer.AsSpan(start, nl - start), continued).ConfigureAwait(false);
                    continued = false;
                    start = scan = nl + 1;
                }
                if (start == end) start = end = 0;
            }
            if (end > start)
                await WriteEndAsync(writer, stream, buffer.AsSpan(start, end - start), continued).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The end of a line. When the line was cut at the limit and nothing but its newline is left,
    /// that newline ends the last piece instead of adding an empty line.
    /// </summary>
    private static ValueTask WriteEndAsync(ILineWriter writer, OutputStream stream, ReadOnlySpan<byte> line, bool continued)
    {
        string text = Decode(line, trimCr: true);
        return continued && text.Length == 0 ? ValueTask.CompletedTask : writer.WriteLineAsync(stream, text);
    }

    private static string Decode(ReadOnlySpan<byte> line, bool trimCr)
    {
        if (trimCr && line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        return Encoding.UTF8.GetString(line);
    }

    /// <summary>
    /// Where to cut a full buffer so that no UTF-8 sequence is split: before a lead byte in the
    /// last three whose sequence does not fit, else at the end.
    /// </summary>
    internal static int CharBoundary(ReadOnlySpan<byte> bytes)
    {
        for (int i = bytes.Length - 1; i > 0 && i >= bytes.Length - 3; i--)
        {
            byte b = bytes[i];
            if ((b & 0xC0) == 0x80) continue;
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return i + length > bytes.Length ? i : bytes.Length;
        }
        return bytes.Length;
    }
}
