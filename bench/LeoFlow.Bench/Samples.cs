namespace LeoFlow.Bench;

/// <summary>Repeated measurements of one quantity; the report quotes median, min and max.</summary>
internal sealed class Samples(string label, string unit)
{
    private readonly List<double> _values = [];

    public string Label { get; } = label;
    public string Unit { get; } = unit;
    public int Count => _values.Count;
    public IReadOnlyList<double> Values => _values;

    public void Add(double value) => _values.Add(value);

    public double Median
    {
        get
        {
            if (_values.Count == 0) return double.NaN;
            var sorted = _values.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();
    public double Max => _values.Count == 0 ? double.NaN : _values.Max();
}
