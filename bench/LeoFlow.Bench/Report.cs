namespace LeoFlow.Bench;

/// <summary>Everything docs/benchmarks.md says: the targets, then one section per metric.</summary>
internal sealed class Report
{
    public List<Section> Sections { get; } = [];
    public List<Target> Targets { get; } = [];
    public List<string> Failures { get; } = [];

    public Section Add(string title, string command)
    {
        var section = new Section(title, command);
        Sections.Add(section);
        return section;
    }
}

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

/// <summary>A target of design.md §4 and whether this run met it (null: not measured).</summary>
internal sealed record Target(string What, string Goal, string Measured, bool? Met);
