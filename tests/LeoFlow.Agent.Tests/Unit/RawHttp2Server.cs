using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// Plaintext HTTP/2 written frame by frame on a TCP socket: it answers the client's SETTINGS and
/// PINGs and every request's HEADERS with the frames <see cref="Answer"/> gives, which may be what
/// no HTTP/2 library would send (a header block that does not decode, megabytes of headers).
/// </summary>
internal sealed class RawHttp2Server : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, Settings = 0x4, Ping = 0x6, GoAway = 0x7, Continuation = 0x9;
    public const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;
    private const int MaxFrame = 16384;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="answer">The bytes sent for a request on the given stream id.</param>
    public RawHttp2Server(Func<int, byte[]> answer)
    {
        Answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Func<int, byte[]> Answer { get; }

    public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>A header block that does not decode: an indexed field with index 0, which HPACK forbids.</summary>
    public static byte[] UndecodableHeaders(int stream) => Frame(Headers, EndHeaders, stream, [0x80]);

    /// <summary>A well-formed trailers-only gRPC answer: 200, application/grpc, grpc-status 12 (Unimplemented).</summary>
    public static byte[] Unimplemented(int stream)
    {
        using var block = new MemoryStream();
        block.WriteByte(0x88);
        foreach (var (name, value) in new[] { ("content-type", "application/grpc"), ("grpc-status", "12") })
        {
            block.WriteByte(0x00);
            WriteInteger(block, 7, name.Length);
            block.Write(System.Text.Encoding.ASCII.GetBytes(name));
            WriteInteger(block, 7, value.Length);
            block.Write(System.Text.Encoding.ASCII.GetBytes(value));
        }
        return Frame(Headers, EndHeaders | EndStream, stream, block.ToArray());
    }

    /// <summary>":status 200" and one header of <paramref name="bytes"/> bytes, in HEADERS and CONTINUATION frames.</summary>
    public static byte[] HugeHeaders(int stream, int bytes)
    {
        using var block = new MemoryStream();
        block.WriteByte(0x88);                       // :status 200, indexed
        block.WriteByte(0x00);                       // a literal field, new name, not indexed
        block.WriteByte(5);
        block.Write("x-big"u8);
        WriteInteger(block, 7, bytes);               // the value's length, no Huffman
        block.Write(Enumerable.Repeat((byte)'a', bytes).ToArray());
        byte[] all = block.ToArray();
        using var frames = new MemoryStream();
        for (int at = 0; at < all.Length; at += MaxFrame)
        {
            int length = Math.Min(MaxFrame, all.Length - at);
            byte flags = at + length == all.Length ? EndHeaders : (byte)0;
            frames.Write(Frame(at == 0 ? Headers : Continuation, flags, stream, all.AsSpan(at, length)));
        }
        return frames.ToArray();
    }

    public static byte[] Frame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>HPACK's integer: a prefix of <paramref name="bits"/> bits, then 7 bits a byte.</summary>
    private static void WriteInteger(Stream to, int bits, int value)
    {
        int max = (1 << bits) - 1;
        if (value < max) { to.WriteByte((byte)value); return; }
        to.WriteByte((byte)max);
        for (value -= max; value >= 128; value >>= 7) to.WriteByte((byte)(value % 128 + 128));
        to.WriteByte((byte)value);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or InvalidOperationException or ObjectDisposedException)
        {
            // Disposed: the listener is stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var preface = new byte[24];
            await stream.ReadExactlyAsync(preface, _stop.Token);
            await stream.WriteAsync(Frame(Settings, 0, 0, []), _stop.Token);
            var header = new byte[9];
            while (true)
            {
                await stream.ReadExactlyAsync(header, _stop.Token);
                int length = (header[0] << 16) | (header[1] << 8) | header[2];
                byte type = header[3], flags = header[4];
                int id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                var payload = new byte[length];
                await stream.ReadExactlyAsync(payload, _stop.Token);
                byte[]? reply = type switch
                {
                    Settings when (flags & Ack) == 0 => Frame(Settings, Ack, 0, []),
                    Ping when (flags & Ack) == 0 => Frame(Ping, Ack, 0, payload),
                    Headers => Answer(id),
                    _ => null,
                };
                if (reply is not null) await stream.WriteAsync(reply, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or EndOfStreamException)
        {
            // The client hung up (as it should after such an answer) or the server is disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
