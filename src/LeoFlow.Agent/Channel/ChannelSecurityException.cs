namespace LeoFlow.Agent.Channel;

/// <summary>
/// The TLS connection to the control plane failed for a reason another attempt cannot fix (an
/// untrusted, expired or misnamed certificate, a server that does not speak TLS, an old TLS
/// version, a refused client certificate). Its message is one sentence naming the cause. It
/// travels as the <see cref="Grpc.Core.Status.DebugException"/> of the call's Unavailable status,
/// which is how <see cref="ControlPlaneCalls"/> knows not to retry.
/// </summary>
public sealed class ChannelSecurityException(string message, Exception? inner = null) : Exception(message, inner);
