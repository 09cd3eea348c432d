using System.Buffers;

namespace LeoFlow.Agent.Masking;

/// <summary>
/// A compiled, immutable set of secrets (UTF-8), searched for all at once in the bytes of a line:
/// every byte covered by an occurrence of any secret is masked, and each run of overlapping or
/// touching occurrences becomes one <see cref="SecretRegistry.Mask"/>. Each secret is anchored at
/// one of a few rare bytes (by how common a byte is in log text) that between them are in every
/// secret; a vectorized scan finds the anchors, and only there are the secrets with that anchor
/// compared. A line without an anchor costs that scan alone and is passed on as it is, without a copy.
/// </summary>
public sealed class SecretMasker
{
    /// <summary>The secrets, grouped by anchor byte: those of byte b are [_bucketStart[b], _bucketStart[b + 1]).</summary>
    private readonly byte[][] _secrets;
    private readonly int[] _anchorOffsets;
    private readonly int[] _bucketStart = new int[257];

    /// <summary>The anchors, five to a search: up to five bytes are searched with SSE2, which every x64 has (more need SSSE3, or go byte by byte).</summary>
    private readonly SearchValues<byte>[] _anchors;
    private readonly int _shortest = int.MaxValue;

    /// <param name="secrets">Distinct, not empty, valid UTF-8 (<see cref="SecretRegistry"/> sees to it).</param>
    public SecretMasker(IReadOnlyList<byte[]> secrets)
    {
        int n = secrets.Count;
        _secrets = new byte[n][];
        _anchorOffsets = new int[n];
        // Few anchors, rare ones: greedily the byte in the most secrets not yet anchored (the rarer
        // of equals), from the rarest bytes (capitals, symbols), then rare letters, then any.
        var anchorOf = new int[n];   // 1 + its anchor; 0: none yet
        var picked = new byte[256];
        int count = 0, left = n;
        foreach (int limit in (ReadOnlySpan<int>)[130, 202, 256])
        {
            while (left > 0)
            {
                var hits = new int[256];   // in how many of the secrets left (a byte twice in one counts twice: near enough)
                for (int i = 0; i < n; i++)
                    if (anchorOf[i] == 0)
                        foreach (byte b in secrets[i])
                            if (Commonness(b) <= limit) hits[b]++;
                int best = 0;
                for (int b = 1; b < 256; b++)
                    if (hits[b] > hits[best] || hits[b] == hits[best] && Commonness((byte)b) < Commonness((byte)best)) best = b;
                if (hits[best] == 0) break;
                picked[count++] = (byte)best;
                for (int i = 0; i < n; i++)
                    if (anchorOf[i] == 0 && secrets[i].AsSpan().IndexOf((byte)best) >= 0) { anchorOf[i] = best + 1; left--; _bucketStart[best + 1]++; }
            }
        }
        for (int b = 1; b <= 256; b++) _bucketStart[b] += _bucketStart[b - 1];
        var next = new int[256];
        Array.Copy(_bucketStart, next, 256);
        for (int i = 0; i < n; i++)
        {
            var secret = secrets[i];
            byte anchor = (byte)(anchorOf[i] - 1);
            _secrets[next[anchor]] = secret;
            _anchorOffsets[next[anchor]++] = secret.AsSpan().IndexOf(anchor);
            _shortest = Math.Min(_shortest, secret.Length);
            // Replacing invalid UTF-8 leaves the bytes of every secret as they are, so masking before
            // or after it gives the same line, unless a secret holds U+FFFD: a replacement could complete it.
            RepairFirst |= System.Text.Encoding.UTF8.GetString(secret).Contains('\uFFFD');
        }
        _anchors = new SearchValues<byte>[(count + 4) / 5];
        for (int g = 0; g < _anchors.Length; g++) _anchors[g] = SearchValues.Create(picked.AsSpan(g * 5, Math.Min(5, count - g * 5)));
    }

    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>A secret holds U+FFFD: repair invalid UTF-8 before masking, so that the two commute.</summary>
    public bool RepairFirst { get; }

    /// <summary>
    /// <paramref name="line"/> with every occurrence masked, or <paramref name="line"/> itself when
    /// there is none; <paramref name="masked"/> is the number of masks written. A masked line is in
    /// <paramref name="buffer"/>, valid until its next use.
    /// </summary>
    public ReadOnlySpan<byte> Mask(ReadOnlySpan<byte> line, MaskBuffer buffer, out int masked)
    {
        masked = 0;
        if (line.Length < _shortest) return line;
        int found = FindAll(line, buffer);
        if (found == 0) return line;
        var ranges = buffer.Ranges!.AsSpan(0, found);
        ranges.Sort();
        var output = buffer.Output is { } kept && kept.Length >= line.Length ? kept : buffer.Output = new byte[Math.Max(line.Length, 256)];   // an occurrence is at least as long as its mask
        int written = 0, from = 0;
        for (int i = 0; i < ranges.Length;)
        {
            var (start, end) = ranges[i];
            for (i++; i < ranges.Length && ranges[i].Start <= end; i++) end = Math.Max(end, ranges[i].End);   // overlapping or touching: one mask
            line[from..start].CopyTo(output.AsSpan(written));
            written += start - from;
            "***"u8.CopyTo(output.AsSpan(written));
            written += 3;
            from = end;
            masked++;
        }
        line[from..].CopyTo(output.AsSpan(written));
        written += line.Length - from;
        return output.AsSpan(0, written);
    }

    /// <summary><paramref name="text"/> with every occurrence masked (the agent's own texts, not the hot path).</summary>
    public string Mask(string text)
    {
        if (IsEmpty || text.Length == 0) return text;
        var masked = Mask(System.Text.Encoding.UTF8.GetBytes(text), new MaskBuffer(), out int count);
        return count == 0 ? text : System.Text.Encoding.UTF8.GetString(masked);
    }

    /// <summary>
    /// Where to cut <paramref name="full"/>, a buffer that ends inside a longer line, instead of at
    /// <paramref name="cut"/>, so that no secret is split between two pieces: at the start of the
    /// run of overlapping occurrences the cut would fall into, a secret that may go on after the
    /// buffer (a prefix of one at its end) included. 0 when that run starts at the buffer's first
    /// byte: then the whole piece is secret, for the caller to mask.
    /// </summary>
    public int SafeCut(ReadOnlySpan<byte> full, int cut, MaskBuffer buffer)
    {
        int found = FindAll(full, buffer);
        foreach (var secret in _secrets)
            for (int at = Math.Max(0, full.Length - secret.Length + 1); at < full.Length; at++)
                if (full[at..].SequenceEqual(secret.AsSpan(0, full.Length - at))) buffer.Add(ref found, at, int.MaxValue);
        var ranges = buffer.Ranges!.AsSpan(0, found);
        ranges.Sort();
        for (int i = 0; i < ranges.Length;)
        {
            var (start, end) = ranges[i];
            for (i++; i < ranges.Length && ranges[i].Start < end; i++) end = Math.Max(end, ranges[i].End);   // overlapping only: a cut between touching ones splits none
            if (start < cut && cut < end) return start;
        }
        return cut;
    }

    /// <summary>Every occurrence of every secret in <paramref name="bytes"/>, into the buffer's ranges (unordered); their number.</summary>
    private int FindAll(ReadOnlySpan<byte> bytes, MaskBuffer buffer)
    {
        int found = 0;
        foreach (var anchors in _anchors)
        {
            for (int at = 0; at < bytes.Length; at++)
            {
                int next = bytes[at..].IndexOfAny(anchors);
                if (next < 0) break;
                at += next;
                byte anchor = bytes[at];
                for (int k = _bucketStart[anchor]; k < _bucketStart[anchor + 1]; k++)
                {
                    var secret = _secrets[k];
                    int start = at - _anchorOffsets[k];
                    if (start >= 0 && start <= bytes.Length - secret.Length && bytes.Slice(start, secret.Length).SequenceEqual(secret))
                        buffer.Add(ref found, start, start + secret.Length);
                }
            }
        }
        return found;
    }

    /// <summary>
    /// A rough rank of how often a byte occurs in log text, higher is more common: space, lower-case
    /// letters (in English order of frequency), digits and the punctuation of numbers, paths and
    /// key=value pairs, then capitals, other symbols, bytes of multibyte characters and controls.
    /// </summary>
    internal static int Commonness(byte b) =>
        b == ' ' ? 255
        : b is >= (byte)'a' and <= (byte)'z' ? 225 - "etaoinshrdlcumwfgypbvkjxqz".IndexOf((char)b)
        : b is >= (byte)'0' and <= (byte)'9' ? 210
        : ".:-/_,=\"'".Contains((char)b) ? 190
        : "()[]{}\t".Contains((char)b) ? 150
        : b is >= (byte)'A' and <= (byte)'Z' ? 125 - "ETAOINSHRDLCUMWFGYPBVKJXQZ".IndexOf((char)b)
        : b >= 0x80 ? 90
        : b is > (byte)' ' and < 0x7F ? 60
        : 10;
}

/// <summary>
/// The working memory of masking for one thread (one per pipe: the stdout and stderr threads mask
/// at the same time): the masked line and the occurrences found, kept and grown as needed.
/// </summary>
public sealed class MaskBuffer
{
    internal byte[]? Output;

    /// <summary>Occurrences found, [Start, End); sorted, they are in order of their starts.</summary>
    internal (int Start, int End)[]? Ranges;

    internal void Add(ref int count, int start, int end)
    {
        if (Ranges is null || count == Ranges.Length)
        {
            var grown = new (int, int)[Math.Max(16, count * 2)];
            if (Ranges is not null) Array.Copy(Ranges, grown, count);
            Ranges = grown;
        }
        Ranges[count++] = (start, end);
    }
}
