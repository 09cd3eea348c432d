using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LeoFlow.ControlPlane;
using Leoflow.Agent.V1;

// The dev control plane as a command: serves one task from a JSON file, prints the task's log
// live as the agent streams it, and with --agent starts the agent the way the subprocess
// executor does (LEOFLOW_CONTROL_PLANE_ADDR, LEOFLOW_AGENT_TOKEN, LEOFLOW_TASK_INSTANCE_ID).
// With --tls-cert it serves TLS (PEM certificate plus --tls-key, or a PKCS#12 file) and tells the
// agent so with LEOFLOW_AGENT_INSECURE=false, as the Kubernetes executor does; the agent's CA bundle
// comes from LEOFLOW_AGENT_TLS_CA in the caller's environment.
// Exit code: 0 when the task ended SUCCESS, 1 when FAILED, 2 on bad usage.
const string Usage = "usage: --task FILE [--agent PATH] [--port N] [--tls-cert PEM|PFX [--tls-key PEM]]";
string? taskPath = null, agent = null, tlsCert = null, tlsKey = null;
int port = 0;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--task" when i + 1 < args.Length: taskPath = args[++i]; break;
        case "--agent" when i + 1 < args.Length: agent = args[++i]; break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out port): i++; break;
        case "--tls-cert" when i + 1 < args.Length: tlsCert = args[++i]; break;
        case "--tls-key" when i + 1 < args.Length: tlsKey = args[++i]; break;
        default:
            Console.Error.WriteLine($"leoflow-controlplane: unexpected argument {args[i]}; {Usage}");
            return 2;
    }
}
if (taskPath is null)
{
    Console.Error.WriteLine($"leoflow-controlplane: --task FILE is required; {Usage}");
    return 2;
}
if (tlsKey is not null && tlsCert is null)
{
    Console.Error.WriteLine($"leoflow-controlplane: --tls-key needs --tls-cert; {Usage}");
    return 2;
}

X509Certificate2? certificate = null;
if (tlsCert is not null)
{
    try
    {
        certificate = tlsKey is not null
            ? X509Certificate2.CreateFromPemFile(tlsCert, tlsKey)
            : X509CertificateLoader.LoadPkcs12FromFile(tlsCert, password: null);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
    {
        Console.Error.WriteLine($"leoflow-controlplane: cannot load the TLS certificate {tlsCert}: {e.Message}");
        return 2;
    }
}

ControlPlaneScript script;
try { script = TaskFile.Load(taskPath); }
catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
{
    Console.Error.WriteLine($"leoflow-controlplane: cannot load {taskPath}: {e.Message}");
    return 2;
}

await using var plane = await DevControlPlane.StartAsync(script, certificate, port);
plane.Record.LineReceived += line => Console.Out.WriteLine($"  │ task.{line.Stream,-6} {line.Level.ToString().ToUpperInvariant(),-5} {line.Message}");
Console.Out.WriteLine($"dev control plane on {plane.Address} ({(plane.UsesTls ? "TLS" : "plaintext")}): {script.Spec.Operator} task \"{script.Spec.Entrypoint}\"");

if (agent is null)
{
    Console.Out.WriteLine($"waiting for an agent (LEOFLOW_CONTROL_PLANE_ADDR={plane.Address} LEOFLOW_AGENT_TOKEN={script.Token}{(plane.UsesTls ? " LEOFLOW_AGENT_INSECURE=false" : "")})");
    await plane.Record.FinalState;
}
else
{
    var start = new ProcessStartInfo(agent) { UseShellExecute = false };
    start.Environment["LEOFLOW_CONTROL_PLANE_ADDR"] = plane.Address;
    start.Environment["LEOFLOW_AGENT_TOKEN"] = script.Token;
    start.Environment["LEOFLOW_TASK_INSTANCE_ID"] = "ti-dev-1";
    if (plane.UsesTls) start.Environment["LEOFLOW_AGENT_INSECURE"] = "false";
    using var process = Process.Start(start)!;
    await process.WaitForExitAsync();
    Console.Out.WriteLine($"agent exited with {process.ExitCode}");
}

var final = plane.Record.FinalState.IsCompleted ? await plane.Record.FinalState : null;
foreach (var (key, push) in plane.Record.Pushed)
    Console.Out.WriteLine($"XCom pushed: {key} = {Encoding.UTF8.GetString(push.Value.Span)} ({push.ContentType})");
Console.Out.WriteLine(final is null
    ? "no final state was reported"
    : $"final state: {final.State} (exit code {final.ExitCode}){(final.ErrorMessage.Length > 0 ? ": " + final.ErrorMessage : "")}");
return final?.State == TaskState.Success ? 0 : 1;
