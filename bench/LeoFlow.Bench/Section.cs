namespace LeoFlow.Bench;

/// <summary>One metric: the command behind it, its repeated measurements beside their reference, and notes.</summary>
internal sealed class Section(string title, string command)
{
    public string Title { get; } = title;
    public string Command { get; } = command;
    public List<Samples> Rows { get; } = [];
    public List<string> Notes { get; } = [];

    public Samples Row(string label, string unit)
    {
        var row = new Samples(label, unit);
        Rows.Add(row);
        return row;
    }
}
