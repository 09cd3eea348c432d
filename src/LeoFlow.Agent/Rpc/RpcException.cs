namespace LeoFlow.Agent.Rpc;

/// <summary>gRPC status codes (the numbers are the protocol's).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>
/// How a call ended: its code, the server's (or the agent's) detail, and for failures the agent
/// saw itself the exception behind them (a <see cref="Channel.ChannelSecurityException"/> there
/// means another attempt cannot help).
/// </summary>
public readonly record struct Status(StatusCode StatusCode, string Detail, Exception? DebugException = null)
{
    public static Status Ok { get; } = new(StatusCode.OK, "");

    /// <summary>The code's name as gRPC spells it in CamelCase ("Unavailable"), without reflection.</summary>
    public static string Name(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "Cancelled",
        StatusCode.Unknown => "Unknown",
        StatusCode.InvalidArgument => "InvalidArgument",
        StatusCode.DeadlineExceeded => "DeadlineExceeded",
        StatusCode.NotFound => "NotFound",
        StatusCode.AlreadyExists => "AlreadyExists",
        StatusCode.PermissionDenied => "PermissionDenied",
        StatusCode.ResourceExhausted => "ResourceExhausted",
        StatusCode.FailedPrecondition => "FailedPrecondition",
        StatusCode.Aborted => "Aborted",
        StatusCode.OutOfRange => "OutOfRange",
        StatusCode.Unimplemented => "Unimplemented",
        StatusCode.Internal => "Internal",
        StatusCode.Unavailable => "Unavailable",
        StatusCode.DataLoss => "DataLoss",
        StatusCode.Unauthenticated => "Unauthenticated",
        _ => "Status" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override string ToString() => $"{Name(StatusCode)}: {Detail}";
}

/// <summary>A call that ended with a status other than OK.</summary>
public sealed class RpcException(Status status) : Exception(status.ToString(), status.DebugException)
{
    public Status Status { get; } = status;

    public StatusCode StatusCode => Status.StatusCode;
}
