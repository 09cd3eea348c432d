using LeoFlow.ControlPlane;

namespace LeoFlow.Agent.Tests.Faults;

/// <summary>Where a task's numbered stdout lines ended up: on one or more control planes, or on the agent's stdout.</summary>
internal static class TaskOutput
{
    private const string FallbackStdout = "[stdout INFO] ";

    /// <summary>The stdout lines the agent wrote to its own stdout instead of the control plane.</summary>
    public static string[] FallbackStdoutLines(string fallbackOutput) =>
        fallbackOutput.Split('\n').Where(l => l.StartsWith(FallbackStdout, StringComparison.Ordinal)).Select(l => l[FallbackStdout.Length..]).ToArray();

    /// <summary>
    /// The numbers 1..<paramref name="count"/> that no stdout line starts with ("12" or "12 padding"),
    /// looking on every control plane given and in the agent's stdout. Duplicates do not matter.
    /// </summary>
    public static int[] Missing(int count, string fallbackOutput, params ControlPlaneRecord[] planes)
    {
        var seen = new bool[count + 1];
        foreach (var plane in planes)
            foreach (var line in plane.Lines)
                if (line.Stream == "stdout") Mark(seen, line.Message);
        foreach (var line in fallbackOutput.AsSpan().EnumerateLines())   // no copy: the output can be 50 MB
            if (line.StartsWith(FallbackStdout, StringComparison.Ordinal)) Mark(seen, line[FallbackStdout.Length..]);
        return Enumerable.Range(1, count).Where(n => !seen[n]).ToArray();
    }

    private static void Mark(bool[] seen, ReadOnlySpan<char> line)
    {
        int end = line.IndexOf(' ');
        if (int.TryParse(end < 0 ? line : line[..end], out int n) && n >= 1 && n < seen.Length) seen[n] = true;
    }
}
