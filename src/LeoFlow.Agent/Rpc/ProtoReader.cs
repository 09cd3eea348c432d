using System.Buffers.Binary;
using System.Text;

namespace LeoFlow.Agent.Rpc;

/// <summary>
/// Reads Protocol Buffers fields one by one. A field the agent does not know, or that arrives
/// with another wire type than the agent expects, is skipped, as generated code skips unknown
/// fields: a newer control plane may add fields. Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;
    private int _wireType;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (_pos == _data.Length)
        {
            field = wireType = 0;
            return false;
        }
        ulong tag = ReadVarint();
        field = (int)Math.Min(tag >> 3, int.MaxValue);
        _wireType = wireType = (int)(tag & 7);
        if (field == 0 || tag >> 3 > 536_870_911) throw Malformed("invalid field number");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_pos == _data.Length) throw Malformed("truncated varint");
            byte b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Malformed("varint longer than ten bytes");
    }

    /// <summary>int32 and enums: the low 32 bits of the varint (negative values arrive sign-extended).</summary>
    public int ReadInt32() => (int)ReadVarint();

    public bool ReadBool() => ReadVarint() != 0;

    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)));

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _pos)) throw Malformed("length past the end of the message");
        return Take((int)length);
    }

    /// <summary>Invalid UTF-8 becomes U+FFFD, as Google.Protobuf decodes it.</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>
    /// One map&lt;string, string&gt; entry into <paramref name="map"/>; a missing key or value is
    /// the empty string, and a repeated key's last entry wins, as in generated code.
    /// </summary>
    public void ReadStringMapEntry(Dictionary<string, string> map)
    {
        var entry = new ProtoReader(ReadBytes());
        string key = "", value = "";
        while (entry.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == LengthDelimited) key = entry.ReadString();
            else if (field == 2 && wireType == LengthDelimited) value = entry.ReadString();
            else entry.Skip();
        }
        map[key] = value;
    }

    /// <summary>The last value of bool field <paramref name="wanted"/> in a message (false when absent).</summary>
    public static bool LastBool(ReadOnlySpan<byte> message, int wanted)
    {
        bool value = false;
        var reader = new ProtoReader(message);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == wanted && wireType == Varint) value = reader.ReadBool();
            else reader.Skip();
        }
        return value;
    }

    /// <summary>Skips the value of the field <see cref="Next"/> returned.</summary>
    public void Skip()
    {
        switch (_wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Take(4); break;
            case StartGroup: SkipGroup(); break;
            default: throw Malformed($"unexpected wire type {_wireType}");
        }
    }

    /// <summary>A (deprecated) group: fields up to its end-group tag.</summary>
    private void SkipGroup()
    {
        for (int depth = 1; depth > 0;)
        {
            if (!Next(out _, out int wireType)) throw Malformed("unterminated group");
            if (wireType == EndGroup) depth--;
            else if (wireType == StartGroup) depth++;
            else Skip();
        }
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > _data.Length - _pos) throw Malformed("truncated field");
        var span = _data.Slice(_pos, length);
        _pos += length;
        return span;
    }

    private static InvalidDataException Malformed(string what) => new($"malformed protobuf message: {what}");
}
