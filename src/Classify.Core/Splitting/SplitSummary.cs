using Classify.Core.Labels;

namespace Classify.Core.Splitting;

/// <summary>One split's row of a <see cref="SplitSummary"/>.</summary>
/// <param name="Split">Split name (<c>train</c>, <c>val</c>, <c>test</c>).</param>
/// <param name="Count">Number of examples.</param>
/// <param name="Percentage">Share of all examples in the split, in percent.</param>
/// <param name="LabelCounts">Examples carrying each label, in schema order.</param>
/// <param name="LabelPercentages">
/// <see cref="LabelCounts"/> as a percentage of <see cref="Count"/> (for multi-label data these need not sum to 100).
/// </param>
public sealed record SplitSummaryRow(string Split, int Count, double Percentage, int[] LabelCounts, double[] LabelPercentages);

/// <summary>Per-split, per-label counts and percentages of a <see cref="DatasetSplit"/> (printed as a table by the CLI).</summary>
public sealed class SplitSummary
{
    private SplitSummary(IReadOnlyList<string> labels, IReadOnlyList<SplitSummaryRow> rows)
    {
        Labels = labels;
        Rows = rows;
    }

    /// <summary>Label names, the column order of the counts.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>One row per split: train, val, test.</summary>
    public IReadOnlyList<SplitSummaryRow> Rows { get; }

    /// <summary>Summarises a split.</summary>
    public static SplitSummary Create(DatasetSplit split, LabelSchema schema)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(schema);
        int total = split.Train.Count + split.Val.Count + split.Test.Count;
        var rows = SplitNames.All.Select(name =>
        {
            var examples = split[name];
            var counts = new int[schema.Count];
            foreach (var e in examples)
                foreach (int l in e.Labels) counts[l]++;
            var percentages = counts.Select(c => examples.Count == 0 ? 0.0 : 100.0 * c / examples.Count).ToArray();
            return new SplitSummaryRow(name, examples.Count, total == 0 ? 0.0 : 100.0 * examples.Count / total, counts, percentages);
        }).ToArray();
        return new SplitSummary(schema.Labels, rows);
    }

    /// <summary>Examples per split, the <c>split_sizes</c> of run.json.</summary>
    public IReadOnlyDictionary<string, int> Sizes() => Rows.ToDictionary(r => r.Split, r => r.Count);

    /// <summary>Label counts per split, the <c>class_counts</c> of run.json.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ClassCounts() =>
        Rows.ToDictionary(r => r.Split,
            r => (IReadOnlyDictionary<string, int>)Labels.Select((label, j) => (label, j)).ToDictionary(x => x.label, x => r.LabelCounts[x.j]));
}
