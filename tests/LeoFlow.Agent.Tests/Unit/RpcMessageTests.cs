using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using LeoFlow.Agent.Rpc;
using V1 = Leoflow.Agent.V1;

namespace LeoFlow.Agent.Tests.Unit;

/// <summary>
/// The agent's own message encoding against Google.Protobuf's code generated from the same .proto
/// (the control plane's side of the wire): requests byte for byte, responses field for field,
/// unknown and mistyped fields skipped, malformed input refused.
/// </summary>
public sealed class RpcMessageTests
{
    private static byte[] Encode(IRequest request)
    {
        var writer = new ProtoWriter();
        request.WriteTo(writer);
        return writer.Written.ToArray();
    }

    private static readonly DateTime[] Times =
    [
        new(2026, 11, 27, 10, 30, 15, 123, DateTimeKind.Utc),
        DateTime.UnixEpoch,
        new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(1),   // before the epoch: seconds negative, nanos positive
        new DateTime(638_500_000_123_456_700, DateTimeKind.Utc),
    ];

    [Fact]
    public void RegisterRequestIsEncodedAsGoogleProtobufDoes()
    {
        var env = new Dictionary<string, string> { ["A"] = "1", [""] = "", ["ünï"] = "cødé 😀", ["EMPTY"] = "" };
        var expected = new V1.RegisterRequest { AgentVersion = "0.1.0", Hostname = "pod-7" };
        expected.Environment.Add(env);

        Assert.Equal(expected.ToByteArray(), Encode(new RegisterRequest { AgentVersion = "0.1.0", Hostname = "pod-7", Environment = env }));
        Assert.Equal(new V1.RegisterRequest().ToByteArray(), Encode(new RegisterRequest()));
    }

    [Theory]
    [InlineData(TaskState.Running, 0, "")]
    [InlineData(TaskState.Success, 0, "")]
    [InlineData(TaskState.Failed, 137, "terminated by SIGTERM (killed by SIGKILL)")]
    [InlineData(TaskState.Failed, 255, "ünïcødé")]
    [InlineData(TaskState.Failed, -1, "a negative int32 is ten bytes")]
    public void ReportStateRequestIsEncodedAsGoogleProtobufDoes(TaskState state, int exitCode, string message)
    {
        foreach (var time in Times)
        {
            var expected = new V1.ReportStateRequest
            {
                State = (V1.TaskState)state,
                ExitCode = exitCode,
                ErrorMessage = message,
                OccurredAt = Timestamp.FromDateTime(time),
            };
            Assert.Equal(expected.ToByteArray(), Encode(new ReportStateRequest { State = state, ExitCode = exitCode, ErrorMessage = message, OccurredAt = time }));
        }
    }

    [Fact]
    public void HeartbeatXComAndEmptyRequestsAreEncodedAsGoogleProtobufDoes()
    {
        foreach (var time in Times)
            Assert.Equal(new V1.HeartbeatRequest { SentAt = Timestamp.FromDateTime(time) }.ToByteArray(), Encode(new HeartbeatRequest { SentAt = time }));

        Assert.Equal(new V1.FetchXComRequest { UpstreamTaskId = "extract", Key = "return_value" }.ToByteArray(),
            Encode(new FetchXComRequest { UpstreamTaskId = "extract", Key = "return_value" }));
        byte[] value = [.. "{\"rows\": 3}"u8, 0, 0xFF];
        Assert.Equal(new V1.PushXComRequest { Key = "return_value", Value = ByteString.CopyFrom(value), ContentType = "application/json" }.ToByteArray(),
            Encode(new PushXComRequest { Key = "return_value", Value = value, ContentType = "application/json" }));
        Assert.Equal(new V1.PushXComRequest { Key = "k" }.ToByteArray(), Encode(new PushXComRequest { Key = "k", Value = Array.Empty<byte>() }));
        Assert.Empty(Encode(EmptyRequest.Instance));
        Assert.Equal(new V1.GetTaskSpecRequest().ToByteArray(), Encode(EmptyRequest.Instance));
    }

    [Fact]
    public void TaskSpecIsDecodedFieldForField()
    {
        var sent = new V1.TaskSpec
        {
            TenantId = "acme",
            DagId = "etl",
            DagVersion = "v3",
            RunId = "manual__2026",
            TaskId = "load",
            TryNumber = 2,
            Operator = "python",
            Entrypoint = "pkg.mod:main",
            ExecutionTimeoutSeconds = -5,
            CallArgsJson = "{\"args\":[1],\"kwargs\":{}}",
            Extra = Struct.Parser.ParseJson("{\"nested\": {\"list\": [1, \"two\", null, true]}, \"n\": 1.5}"),
        };
        sent.Environment.Add(new Dictionary<string, string> { ["A"] = "1", ["B"] = "", ["ü"] = "😀" });
        sent.XcomInputMapping.Add("rows", "extract");
        sent.XcomInputMapping.Add("", "");

        var spec = TaskSpec.Decode(sent.ToByteArray());

        Assert.Equal(("acme", "etl", "v3", "manual__2026", "load", 2), (spec.TenantId, spec.DagId, spec.DagVersion, spec.RunId, spec.TaskId, spec.TryNumber));
        Assert.Equal(("python", "pkg.mod:main", -5, sent.CallArgsJson), (spec.Operator, spec.Entrypoint, spec.ExecutionTimeoutSeconds, spec.CallArgsJson));
        Assert.Equal(sent.Environment.OrderBy(kv => kv.Key), spec.Environment.OrderBy(kv => kv.Key));
        Assert.Equal(sent.XcomInputMapping.OrderBy(kv => kv.Key), spec.XcomInputMapping.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void EmptyMessagesDecodeToDefaults()
    {
        var spec = TaskSpec.Decode([]);
        Assert.Equal(("", "", 0, 0), (spec.Operator, spec.Entrypoint, spec.TryNumber, spec.ExecutionTimeoutSeconds));
        Assert.Empty(spec.Environment);
        Assert.False(ReportStateResponse.Decode([]).ShouldTerminate);
        Assert.Equal("", RegisterResponse.Decode([]).SessionId);
    }

    [Fact]
    public void ResponsesAreDecodedFieldForField()
    {
        var now = Timestamp.FromDateTime(Times[0]);
        Assert.Equal("s-42", RegisterResponse.Decode(new V1.RegisterResponse { SessionId = "s-42", ServerTime = now }.ToByteArray()).SessionId);

        var xcom = FetchXComResponse.Decode(new V1.FetchXComResponse
        {
            Value = ByteString.CopyFromUtf8("[1, 2]"), ContentType = "application/json", SizeBytes = 6, CreatedAt = now,
        }.ToByteArray());
        Assert.Equal("[1, 2]"u8.ToArray(), xcom.Value.ToArray());
        Assert.Equal("application/json", xcom.ContentType);

        var pushed = PushXComResponse.Decode(new V1.PushXComResponse { Accepted = false, RejectionReason = "payload_too_large", TtlSeconds = 604800 }.ToByteArray());
        Assert.Equal((false, "payload_too_large"), (pushed.Accepted, pushed.RejectionReason));
        Assert.True(PushXComResponse.Decode(new V1.PushXComResponse { Accepted = true }.ToByteArray()).Accepted);

        Assert.True(ReportStateResponse.Decode(new V1.ReportStateResponse { Acknowledged = true, ShouldTerminate = true }.ToByteArray()).ShouldTerminate);
        Assert.False(ReportStateResponse.Decode(new V1.ReportStateResponse { Acknowledged = true }.ToByteArray()).ShouldTerminate);
        Assert.True(HeartbeatResponse.Decode(new V1.HeartbeatResponse { ShouldTerminate = true, ServerTime = now }.ToByteArray()).ShouldTerminate);
        Assert.False(HeartbeatResponse.Decode(new V1.HeartbeatResponse { ServerTime = now }.ToByteArray()).ShouldTerminate);

        var variables = new V1.GetVariablesResponse();
        variables.Variables.Add(new Dictionary<string, string> { ["db_host"] = "pg", ["empty"] = "", ["ü"] = "x" });
        Assert.Equal(variables.Variables.OrderBy(kv => kv.Key), SecretsResponse.Decode(variables.ToByteArray()).Entries.OrderBy(kv => kv.Key));
        var connections = new V1.GetConnectionsResponse();
        connections.ConnectionUris.Add("warehouse", "postgres://u:p@h:5432/db");
        Assert.Equal(connections.ConnectionUris, SecretsResponse.Decode(connections.ToByteArray()).Entries);
    }

    /// <summary>A newer control plane may add fields of any kind, or change a field's type: skipped, as generated code does.</summary>
    [Fact]
    public void UnknownAndMistypedFieldsAreSkipped()
    {
        using var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        output.WriteTag(99, WireFormat.WireType.Varint); output.WriteInt64(-1);
        output.WriteTag(7, WireFormat.WireType.LengthDelimited); output.WriteString("bash");          // operator
        output.WriteTag(100, WireFormat.WireType.Fixed64); output.WriteFixed64(ulong.MaxValue);
        output.WriteTag(6, WireFormat.WireType.LengthDelimited); output.WriteString("not a number"); // try_number, mistyped
        output.WriteTag(101, WireFormat.WireType.StartGroup);
        output.WriteTag(1, WireFormat.WireType.Varint); output.WriteInt32(5);
        output.WriteTag(2, WireFormat.WireType.StartGroup); output.WriteTag(2, WireFormat.WireType.EndGroup);
        output.WriteTag(101, WireFormat.WireType.EndGroup);
        output.WriteTag(8, WireFormat.WireType.LengthDelimited); output.WriteString("echo hi");      // entrypoint
        output.WriteTag(102, WireFormat.WireType.Fixed32); output.WriteFixed32(7);
        output.WriteTag(9, WireFormat.WireType.Varint); output.WriteInt32(3);                          // environment, mistyped
        output.WriteTag(6, WireFormat.WireType.Varint); output.WriteInt32(4);                          // try_number
        output.WriteTag(6, WireFormat.WireType.Varint); output.WriteInt32(5);                          // repeated: the last wins
        output.Flush();
        byte[] data = bytes.ToArray();

        var spec = TaskSpec.Decode(data);
        var reference = V1.TaskSpec.Parser.ParseFrom(data);

        Assert.Equal((reference.Operator, reference.Entrypoint, reference.TryNumber), (spec.Operator, spec.Entrypoint, spec.TryNumber));
        Assert.Equal(("bash", "echo hi", 5), (spec.Operator, spec.Entrypoint, spec.TryNumber));
        Assert.Empty(spec.Environment);
    }

    /// <summary>Map entries with a missing key or value, or a repeated key: as Google.Protobuf reads them.</summary>
    [Fact]
    public void MapEntriesReadAsGoogleProtobufReadsThem()
    {
        using var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        void Entry(byte[] entry) { output.WriteTag(1, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(entry)); }
        Entry([0x12, 0x01, (byte)'v']);                               // value only: key ""
        Entry([0x0A, 0x01, (byte)'k']);                               // key only: value ""
        Entry([0x0A, 0x01, (byte)'d', 0x12, 0x01, (byte)'1']);
        Entry([0x12, 0x01, (byte)'2', 0x0A, 0x01, (byte)'d']);        // value before key, same key: the last wins
        Entry([0x0A, 0x01, (byte)'e', 0x18, 0x05, 0x12, 0x01, (byte)'x']);   // an unknown field inside the entry
        Entry([0x08, 0x07, 0x0A, 0x01, (byte)'f', 0x12, 0x01, (byte)'y']);   // a key of the wrong wire type, then the real one
        output.Flush();
        byte[] data = bytes.ToArray();

        var reference = V1.GetVariablesResponse.Parser.ParseFrom(data).Variables;
        var entries = SecretsResponse.Decode(data).Entries;

        Assert.Equal(reference.OrderBy(kv => kv.Key), entries.OrderBy(kv => kv.Key));
        Assert.Equal("2", entries["d"]);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A })]                                         // a tag, no length
    [InlineData(new byte[] { 0x0A, 0x05, (byte)'a' })]                        // length past the end
    [InlineData(new byte[] { 0x30, 0x80 })]                                   // truncated varint
    [InlineData(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // varint of eleven bytes
    [InlineData(new byte[] { 0x00, 0x01 })]                                   // field number 0
    [InlineData(new byte[] { 0x0C })]                                         // an end-group with no group
    [InlineData(new byte[] { 0x0F })]                                         // wire type 7
    [InlineData(new byte[] { 0x0B, 0x08, 0x01 })]                             // a group never ended
    [InlineData(new byte[] { 0x49, 0x01, 0x02 })]                             // fixed64 cut short
    public void MalformedMessagesAreRefused(byte[] data)
    {
        Assert.Throws<InvalidDataException>(() => TaskSpec.Decode(data));
        Assert.ThrowsAny<InvalidProtocolBufferException>(() => V1.TaskSpec.Parser.ParseFrom(data));   // the reference refuses it too
    }
}
