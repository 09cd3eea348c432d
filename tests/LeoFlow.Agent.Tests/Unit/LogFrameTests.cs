using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using LeoFlow.Agent.Logs;
using Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>The hand-written LogLine encoder against the LogLine generated from the proto, which defines the wire.</summary>
public sealed class LogFrameTests
{
    public static TheoryData<string, LogLevel, string, long, long> Lines => new()
    {
        { "hello", LogLevel.Info, "stdout", 1, 638_000_000_000_000_000 },
        { "", LogLevel.Error, "stderr", 300, 638_000_000_000_000_001 },
        { "▸ task started", LogLevel.Info, "agent", 0, 621_355_968_000_000_000 },   // the epoch: seconds and nanos both 0
        { new string('x', 70_000), LogLevel.Unspecified, "stdout", long.MaxValue, 700_000_000_000_000_123 },
        { "ünïcødé 😀", LogLevel.Warn, "", 127, 638_500_000_123_456_700 },
        { new string('é', 64), LogLevel.Debug, "stderr", 128, 621_355_967_995_000_000 },   // half a second before 1970: seconds -1, nanos 500 ms
        { "first day", LogLevel.Error, "agent", -1, 0 },                                     // 0001-01-01, the earliest Timestamp; a negative number takes ten bytes
        { "1969", LogLevel.Info, "stdout", long.MinValue, 621_355_968_000_000_000 - 864_000_000_001 },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void EncodesExactlyAsGoogleProtobufDoes(string message, LogLevel level, string stream, long number, long ticks)
    {
        var time = new DateTime(ticks, DateTimeKind.Utc);
        var entry = new LogEntry(time, level, stream, number, System.Text.Encoding.UTF8.GetBytes(message));
        var buffer = new ArrayBufferWriter<byte>();

        LogFrame.Write(entry, buffer);

        var expected = new LogLine
        {
            Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(time),
            Level = level,
            Message = message,
            Stream = stream,
            LineNumber = number,
        }.ToByteArray();
        var frame = buffer.WrittenSpan.ToArray();
        Assert.Equal(LogFrame.HeaderSize + expected.Length, frame.Length);
        Assert.Equal(0, frame[0]);
        Assert.Equal((uint)expected.Length, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)));
        Assert.Equal(expected, frame[LogFrame.HeaderSize..]);
    }

    [Fact]
    public void FramesReadBackInOrder()
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (int i = 1; i <= 3; i++)
        {
            var entry = new LogEntry(DateTime.UtcNow, LogLevel.Info, "stdout", i, System.Text.Encoding.UTF8.GetBytes($"line {i}"));
            LogFrame.Write(entry, buffer);
        }

        var lines = LogFrame.Read(new ReadOnlySequence<byte>(buffer.WrittenMemory)).ToArray();

        Assert.Equal(["line 1", "line 2", "line 3"], lines.Select(l => l.Message));
        Assert.Equal([1L, 2L, 3L], lines.Select(l => l.LineNumber));
    }

    [Fact]
    public void InvalidUtf8IsReplacedAndValidUtf8IsLeftAlone()
    {
        byte[] valid = "ok é"u8.ToArray();
        Assert.True(LogFrame.Utf8Message(valid) == valid);   // the same memory: no copy on the common path

        byte[] invalid = [0xFF, 0xFE, (byte)' ', (byte)'o', (byte)'k', 0xE2, 0x82];
        Assert.Equal("\uFFFD\uFFFD ok\uFFFD", System.Text.Encoding.UTF8.GetString(LogFrame.Utf8Message(invalid)));
    }
}
