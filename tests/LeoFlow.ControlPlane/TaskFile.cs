using System.Text;
using System.Text.Json;
using Leoflow.Agent.V1;

namespace LeoFlow.ControlPlane;

/// <summary>
/// A task for the dev control plane, as JSON: operator, entrypoint, environment,
/// xcom_input_mapping, call_args_json, execution_timeout_seconds, plus what the control plane
/// holds for it: xcoms (upstream task id → JSON value), variables, connections.
/// </summary>
public static class TaskFile
{
    public static ControlPlaneScript Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var script = new ControlPlaneScript();
        var spec = new TaskSpec
        {
            TenantId = "dev", DagId = "demo", DagVersion = "1", RunId = "run-1", TaskId = Path.GetFileNameWithoutExtension(path), TryNumber = 1,
            Operator = String(root, "operator") ?? "bash",
            Entrypoint = String(root, "entrypoint") ?? "",
            CallArgsJson = String(root, "call_args_json") ?? "",
            ExecutionTimeoutSeconds = root.TryGetProperty("execution_timeout_seconds", out var t) ? t.GetInt32() : 0,
        };
        Fill(root, "environment", (k, v) => spec.Environment[k] = v.GetString() ?? "");
        Fill(root, "xcom_input_mapping", (k, v) => spec.XcomInputMapping[k] = v.GetString() ?? "");
        Fill(root, "xcoms", (k, v) => script.XComs[k] = Encoding.UTF8.GetBytes(v.GetRawText()));
        Fill(root, "variables", (k, v) => script.Variables[k] = v.GetString() ?? "");
        Fill(root, "connections", (k, v) => script.Connections[k] = v.GetString() ?? "");
        script.Spec = spec;
        return script;
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.GetString() : null;

    private static void Fill(JsonElement root, string name, Action<string, JsonElement> add)
    {
        if (!root.TryGetProperty(name, out var obj)) return;
        foreach (var p in obj.EnumerateObject()) add(p.Name, p.Value);
    }
}
