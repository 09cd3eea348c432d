using System.Buffers;
using System.Buffers.Binary;

namespace LeoFlow.Bench;

/// <summary>
/// Counts the length-prefixed LogLine messages of a StreamLogs request body without building
/// them: only field 5 (line_number) is decoded, to check that numbered lines arrive as 1, 2, 3…
/// (none lost, none reordered). Lines without a number are the agent's framing lines: those few
/// are kept as text (<see cref="Framing"/>), so a run can check what the agent said at the end.
/// </summary>
internal sealed class LogFrameCounter
{
    private byte[] _scratch = new byte[256];

    public long Frames { get; private set; }
    public long Numbered { get; private set; }
    public long LastNumber { get; private set; }
    public long OutOfOrder { get; private set; }
    public long Bytes { get; private set; }

    /// <summary>The messages of the agent's framing lines, in order.</summary>
    public List<string> Framing { get; } = [];

    /// <summary>Consumes the whole frames at the start of <paramref name="buffer"/>; returns where the first partial one begins.</summary>
    public SequencePosition Consume(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> header = stackalloc byte[5];
        while (reader.TryCopyTo(header))
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
            if (reader.Remaining < 5 + length) break;
            reader.Advance(5);
            long number;
            ReadOnlySpan<byte> message;
            if (reader.UnreadSpan.Length >= length) message = reader.UnreadSpan[..length];
            else
            {
                if (_scratch.Length < length) _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
                reader.TryCopyTo(_scratch.AsSpan(0, length));
                message = _scratch.AsSpan(0, length);
            }
            number = LineNumber(message, out var text);
            if (number == 0) Framing.Add(System.Text.Encoding.UTF8.GetString(message.Slice(text.Start, text.Length)));
            reader.Advance(length);
            Count(number, 5 + length);
        }
        return reader.Position;
    }

    private void Count(long number, int bytes)
    {
        Frames++;
        Bytes += bytes;
        if (number == 0) return;
        Numbered++;
        if (number != LastNumber + 1) OutOfOrder++;
        LastNumber = number;
    }

    /// <summary>Field 5 of a LogLine (0 when absent), and where field 3 (message) is; every other field is skipped by its wire type.</summary>
    private static long LineNumber(ReadOnlySpan<byte> message, out (int Start, int Length) text)
    {
        int pos = 0;
        long number = 0;
        text = (0, 0);
        while (pos < message.Length)
        {
            ulong tag = Varint(message, ref pos);
            switch (tag & 7)
            {
                case 0:
                    ulong value = Varint(message, ref pos);
                    if (tag >> 3 == 5) number = (long)value;
                    break;
                case 1: pos += 8; break;
                case 2:
                    int length = (int)Varint(message, ref pos);   // not "pos += Varint(ref pos)": that adds to the old pos
                    if (tag >> 3 == 3) text = (pos, length);
                    pos += length;
                    break;
                case 5: pos += 4; break;
                default: throw new InvalidDataException($"wire type {tag & 7} in a LogLine");
            }
        }
        return number;
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = span[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
