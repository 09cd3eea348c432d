using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LeoFlow.Agent.Rpc;

/// <summary>
/// Protocol Buffers encoding of the few scalar kinds the agent's requests use, proto3 style:
/// fields in the order written (the messages write them by number), default values omitted, as
/// Google.Protobuf writes them (the tests compare byte for byte).
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2;

    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public ProtoWriter String(int field, string value)
    {
        if (value.Length == 0) return this;
        Tag(field, LengthDelimited);
        WriteVarint((ulong)Encoding.UTF8.GetByteCount(value));
        _buffer.Advance(Encoding.UTF8.GetBytes(value, _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length))));
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value, bool always = false)
    {
        if (value.IsEmpty && !always) return this;
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>int32 and enums: a negative value is sign-extended to ten bytes, as the format says.</summary>
    public ProtoWriter Int32(int field, int value) => Int64(field, value);

    public ProtoWriter Int64(int field, long value)
    {
        if (value == 0) return this;
        Tag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    public ProtoWriter Double(int field, double value)
    {
        if (BitConverter.DoubleToInt64Bits(value) == 0) return this;
        Tag(field, Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>An embedded message; present even when empty (proto3 message fields have presence).</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.Written, always: true);

    /// <summary>google.protobuf.Timestamp: seconds (1) and nanos (2) since the Unix epoch.</summary>
    public ProtoWriter Timestamp(int field, DateTime utc)
    {
        var (seconds, nanos) = UnixTime(utc);
        return Message(field, new ProtoWriter().Int64(1, seconds).Int32(2, nanos));
    }

    /// <summary>A Timestamp's two fields: seconds since the epoch and non-negative nanoseconds (also before 1970).</summary>
    public static (long Seconds, int Nanos) UnixTime(DateTime utc)
    {
        long seconds = Math.DivRem(utc.Ticks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return (seconds, (int)(rest * 100));
    }

    /// <summary>map&lt;string, string&gt;: one entry message (key 1, value 2) per pair.</summary>
    public ProtoWriter Map(int field, IEnumerable<KeyValuePair<string, string>> entries)
    {
        foreach (var (key, value) in entries) Message(field, new ProtoWriter().String(1, key).String(2, value));
        return this;
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)((uint)field << 3 | (uint)wireType));

    private void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        _buffer.Advance(n);
    }
}
