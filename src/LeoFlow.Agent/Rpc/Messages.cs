namespace LeoFlow.Agent.Rpc;

// The messages of leoflow.agent.v1 (proto/leoflow/agent/v1/agent.proto) the agent sends and
// receives, each with its field numbers. Requests encode, responses decode; fields the agent never
// reads (server_time, created_at, TaskSpec.extra) are skipped like unknown ones. The tests check
// every one against Google.Protobuf's code generated from the same .proto.

public enum TaskState
{
    Unspecified = 0,
    Running = 1,
    Success = 2,
    Failed = 3,
    Skipped = 4,
}

public enum LogLevel
{
    Unspecified = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// <summary>A request: its protobuf encoding.</summary>
public interface IRequest
{
    internal void WriteTo(ProtoWriter writer);
}

public sealed class EmptyRequest : IRequest
{
    public static EmptyRequest Instance { get; } = new();

    void IRequest.WriteTo(ProtoWriter writer) { }
}

public sealed class RegisterRequest : IRequest
{
    public string AgentVersion { get; init; } = "";
    public string Hostname { get; init; } = "";
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    void IRequest.WriteTo(ProtoWriter writer) => writer.String(1, AgentVersion).String(2, Hostname).Map(3, Environment);
}

public sealed class RegisterResponse
{
    public string SessionId { get; private set; } = "";

    internal static RegisterResponse Decode(ReadOnlySpan<byte> data)
    {
        var message = new RegisterResponse();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == ProtoReader.LengthDelimited) message.SessionId = reader.ReadString();
            else reader.Skip();
        }
        return message;
    }
}

public sealed class TaskSpec
{
    public string TenantId { get; set; } = "";
    public string DagId { get; set; } = "";
    public string DagVersion { get; set; } = "";
    public string RunId { get; set; } = "";
    public string TaskId { get; set; } = "";
    public int TryNumber { get; set; }
    public string Operator { get; set; } = "";
    public string Entrypoint { get; set; } = "";
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> XcomInputMapping { get; } = new(StringComparer.Ordinal);
    public int ExecutionTimeoutSeconds { get; set; }
    public string CallArgsJson { get; set; } = "";

    internal static TaskSpec Decode(ReadOnlySpan<byte> data)
    {
        var spec = new TaskSpec();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            bool text = wireType == ProtoReader.LengthDelimited, number = wireType == ProtoReader.Varint;
            switch (field)
            {
                case 1 when text: spec.TenantId = reader.ReadString(); break;
                case 2 when text: spec.DagId = reader.ReadString(); break;
                case 3 when text: spec.DagVersion = reader.ReadString(); break;
                case 4 when text: spec.RunId = reader.ReadString(); break;
                case 5 when text: spec.TaskId = reader.ReadString(); break;
                case 6 when number: spec.TryNumber = reader.ReadInt32(); break;
                case 7 when text: spec.Operator = reader.ReadString(); break;
                case 8 when text: spec.Entrypoint = reader.ReadString(); break;
                case 9 when text: reader.ReadStringMapEntry(spec.Environment); break;
                case 10 when text: reader.ReadStringMapEntry(spec.XcomInputMapping); break;
                case 11 when number: spec.ExecutionTimeoutSeconds = reader.ReadInt32(); break;
                case 13 when text: spec.CallArgsJson = reader.ReadString(); break;
                default: reader.Skip(); break;   // 12 extra: never filled, not used
            }
        }
        return spec;
    }
}

public sealed class FetchXComRequest : IRequest
{
    public string UpstreamTaskId { get; init; } = "";
    public string Key { get; init; } = "";

    void IRequest.WriteTo(ProtoWriter writer) => writer.String(1, UpstreamTaskId).String(2, Key);
}

public sealed class FetchXComResponse
{
    public ReadOnlyMemory<byte> Value { get; private set; }
    public string ContentType { get; private set; } = "";

    internal static FetchXComResponse Decode(ReadOnlySpan<byte> data)
    {
        var message = new FetchXComResponse();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == ProtoReader.LengthDelimited) message.Value = reader.ReadBytes().ToArray();
            else if (field == 2 && wireType == ProtoReader.LengthDelimited) message.ContentType = reader.ReadString();
            else reader.Skip();   // 3 size_bytes, 4 created_at
        }
        return message;
    }
}

public sealed class PushXComRequest : IRequest
{
    public string Key { get; init; } = "";
    public ReadOnlyMemory<byte> Value { get; init; }
    public string ContentType { get; init; } = "";

    void IRequest.WriteTo(ProtoWriter writer) => writer.String(1, Key).Bytes(2, Value.Span).String(3, ContentType);
}

public sealed class PushXComResponse
{
    public bool Accepted { get; private set; }
    public string RejectionReason { get; private set; } = "";

    internal static PushXComResponse Decode(ReadOnlySpan<byte> data)
    {
        var message = new PushXComResponse();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == ProtoReader.Varint) message.Accepted = reader.ReadBool();
            else if (field == 2 && wireType == ProtoReader.LengthDelimited) message.RejectionReason = reader.ReadString();
            else reader.Skip();   // 3 ttl_seconds
        }
        return message;
    }
}

public sealed class ReportStateRequest : IRequest
{
    public TaskState State { get; init; }
    public int ExitCode { get; init; }
    public string ErrorMessage { get; init; } = "";
    public DateTime OccurredAt { get; init; }

    void IRequest.WriteTo(ProtoWriter writer) =>
        writer.Int32(1, (int)State).Int32(2, ExitCode).String(3, ErrorMessage).Timestamp(4, OccurredAt);
}

public sealed class ReportStateResponse
{
    public bool ShouldTerminate { get; private set; }

    internal static ReportStateResponse Decode(ReadOnlySpan<byte> data) =>
        new() { ShouldTerminate = ProtoReader.LastBool(data, 2) };   // 1 acknowledged: always true, not read
}

public sealed class HeartbeatRequest : IRequest
{
    public DateTime SentAt { get; init; }

    void IRequest.WriteTo(ProtoWriter writer) => writer.Timestamp(1, SentAt);   // 2 custom_metrics: none yet
}

public sealed class HeartbeatResponse
{
    public bool ShouldTerminate { get; private set; }

    internal static HeartbeatResponse Decode(ReadOnlySpan<byte> data) =>
        new() { ShouldTerminate = ProtoReader.LastBool(data, 1) };   // 2 server_time: not read
}

/// <summary>GetVariablesResponse and GetConnectionsResponse: one map&lt;string, string&gt; in field 1.</summary>
public sealed class SecretsResponse
{
    public Dictionary<string, string> Entries { get; } = new(StringComparer.Ordinal);

    internal static SecretsResponse Decode(ReadOnlySpan<byte> data)
    {
        var message = new SecretsResponse();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == ProtoReader.LengthDelimited) reader.ReadStringMapEntry(message.Entries);
            else reader.Skip();
        }
        return message;
    }
}
