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
