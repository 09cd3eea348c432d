using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Logs;

/// <summary>
/// Encodes a <see cref="LogEntry"/> straight into a gRPC length-prefixed frame holding the
/// protobuf encoding of <c>LogLine</c> (fields in number order, defaults omitted: byte for byte
/// what the generated <see cref="LogLine"/> writes, which the tests check), so many lines can share
/// one buffer and one HTTP/2 DATA frame, and a line costs no object at all: the log is the agent's
/// hot path, the one place its protocol code is hand-written (README, "Dependencies"). The message
/// must be valid UTF-8 (proto3 strings are; the old agent's stream died on the first invalid byte):
/// <see cref="Utf8Message"/> repairs it. Reading frames back uses the generated parser.
/// </summary>
public static class LogFrame
{
    /// <summary>gRPC message prefix: a compressed flag and a big-endian length.</summary>
    public const int HeaderSize = 5;

    /// <summary>Appends the frame to <paramref name="writer"/>, sizing it once (the hot path).</summary>
    public static void Write(in LogEntry record, IBufferWriter<byte> writer)
    {
        int payload = PayloadSize(record, out int timeSize, out int messageBytes);
        int size = HeaderSize + payload;
        WriteSized(record, writer.GetSpan(size), payload, timeSize, messageBytes);
        writer.Advance(size);
    }

    private static int WriteSized(in LogEntry record, Span<byte> destination, int payload, int timeSize, int messageBytes)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)payload);
        var span = destination[HeaderSize..];
        int pos = 0;
        var (seconds, nanos) = UnixTime(record.Time);
        span[pos++] = 0x0A;                                     // 1: time (Timestamp)
        pos += WriteVarint(span[pos..], (ulong)timeSize);
        if (seconds != 0) { span[pos++] = 0x08; pos += WriteVarint(span[pos..], (ulong)seconds); }
        if (nanos != 0) { span[pos++] = 0x10; pos += WriteVarint(span[pos..], (ulong)nanos); }
        if (record.Level != 0) { span[pos++] = 0x10; pos += WriteVarint(span[pos..], (ulong)record.Level); }   // 2: level
        if (messageBytes > 0)                                   // 3: message
        {
            span[pos++] = 0x1A;
            pos += WriteVarint(span[pos..], (ulong)messageBytes);
            record.Message.CopyTo(span[pos..]);
            pos += messageBytes;
        }
        if (record.Stream.Length > 0)                           // 4: stream (ASCII names)
        {
            span[pos++] = 0x22;
            pos += WriteVarint(span[pos..], (ulong)record.Stream.Length);
            pos += Encoding.UTF8.GetBytes(record.Stream, span[pos..]);
        }
        if (record.Number != 0) { span[pos++] = 0x28; pos += WriteVarint(span[pos..], (ulong)record.Number); } // 5: line_number
        return HeaderSize + pos;
    }

    /// <summary>
    /// The message as valid UTF-8: itself when it is (the common case, checked without copying),
    /// else with each invalid sequence replaced by U+FFFD.
    /// </summary>
    public static ReadOnlySpan<byte> Utf8Message(ReadOnlySpan<byte> message) =>
        System.Text.Unicode.Utf8.IsValid(message) ? message : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(message));

    /// <summary>Splits a buffer of whole frames back into lines (the stdout fallback, tests).</summary>
    public static List<LogLine> Read(ReadOnlySequence<byte> frames)
    {
        var reader = new SequenceReader<byte>(frames);
        var lines = new List<LogLine>();
        while (reader.TryRead(out _) && reader.TryReadBigEndian(out int length))
        {
            lines.Add(LogLine.Parser.ParseFrom(frames.Slice(reader.Position, length)));
            reader.Advance(length);
        }
        return lines;
    }

    /// <summary>A Timestamp's two fields: seconds since the epoch and non-negative nanoseconds (also before 1970).</summary>
    public static (long Seconds, int Nanos) UnixTime(DateTime utc)
    {
        long seconds = Math.DivRem(utc.Ticks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return (seconds, (int)(rest * 100));
    }

    private static int PayloadSize(in LogEntry record, out int timeSize, out int messageBytes)
    {
        var (seconds, nanos) = UnixTime(record.Time);
        timeSize = (seconds != 0 ? 1 + VarintSize((ulong)seconds) : 0) + (nanos != 0 ? 1 + VarintSize((ulong)nanos) : 0);
        messageBytes = record.Message.Length;
        int size = 1 + VarintSize((ulong)timeSize) + timeSize;
        if (record.Level != 0) size += 1 + VarintSize((ulong)record.Level);
        if (messageBytes > 0) size += 1 + VarintSize((ulong)messageBytes) + messageBytes;
        if (record.Stream.Length > 0) size += 1 + VarintSize((ulong)record.Stream.Length) + record.Stream.Length;
        if (record.Number != 0) size += 1 + VarintSize((ulong)record.Number);
        return size;
    }

    private static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    private static int WriteVarint(Span<byte> span, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        return i;
    }
}
