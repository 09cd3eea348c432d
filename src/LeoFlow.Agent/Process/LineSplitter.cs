namespace LeoFlow.Agent.Process;

/// <summary>
/// Cuts a pipe's raw bytes into lines: on <c>\n</c> only, a trailing <c>\r</c> dropped, lines
/// longer than <see cref="MaxLineBytes"/> cut into several at a character boundary (so a
/// multibyte character is never split) and never through a secret (the writer chooses the cut,
/// <see cref="ILineWriter.WritePiece"/>), and the last line delivered even without a newline.
/// Lines are handed on as spans of one buffer per pipe: nothing is allocated per line, and
/// only whole lines ever reach the encoder, which replaces invalid UTF-8 (see Logs/LogFrame).
/// The buffer is allocated once per pipe on the pinned object heap, not rented from the shared
/// ArrayPool: it lives as long as the pipe, and a blocking read pins it for as long as the task
/// is silent. Rented, the two buffers were 128 KiB of the first generation's budget, pinned in
/// every collection; with that budget capped at 512 KiB they made a lifecycle cost a sixth more
/// instructions (docs/benchmarks.md, history; the cap is in LeoFlow.Agent.Cli.csproj).
/// </summary>
public static class LineSplitter
{
    /// <summary>The longest line shipped as one LogLine; longer lines continue in the next.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>
    /// Reads <paramref name="pipe"/> to its end, writing each line to <paramref name="writer"/>.
    /// Blocking, meant for a thread of its own: reads block, and when the writer is full the
    /// thread waits for room, so back-pressure reaches the task's pipe without ever parking a
    /// blocking read on a thread-pool thread (which an await between reads would do).
    /// </summary>
    public static void Pump(Stream pipe, OutputStream stream, ILineWriter writer)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxLineBytes, pinned: true);
        int start = 0, end = 0;
        // A full buffer was shipped as a piece of a longer line: a newline right after it
        // ends that line, it does not start an empty one.
        bool continued = false;
        while (true)
        {
            if (end == MaxLineBytes)
            {
                if (start == 0)
                {
                    start = writer.WritePiece(stream, buffer.AsSpan(0, MaxLineBytes));
                    writer.Flush();   // the task may fall silent now: let this piece go
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
                var line = buffer.AsSpan(start, nl - start);
                if (!(continued && IsEmptyLine(line)))
                    writer.WriteLine(stream, TrimCr(line));
                continued = false;
                start = scan = nl + 1;
            }
            if (start == end) start = end = 0;
            writer.Flush();
        }
        var last = buffer.AsSpan(start, end - start);
        if (!last.IsEmpty && !(continued && IsEmptyLine(last)))
            writer.WriteLine(stream, TrimCr(last));
        writer.Flush();
    }

    private static bool IsEmptyLine(ReadOnlySpan<byte> line) => line.IsEmpty || line is [(byte)'\r'];

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line is [.., (byte)'\r'] ? line[..^1] : line;

    /// <summary>
    /// Where to cut a full buffer: at a character boundary, and before a final <c>\r</c> so that
    /// a <c>\r\n</c> straddling the cut is still dropped as a line ending.
    /// </summary>
    public static int CutPoint(ReadOnlySpan<byte> bytes)
    {
        int cut = CharBoundary(bytes);
        return cut > 1 && bytes[cut - 1] == (byte)'\r' ? cut - 1 : cut;
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
