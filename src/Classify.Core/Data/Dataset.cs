using Classify.Core.Labels;

namespace Classify.Core.Data;

/// <summary>A loaded data file: its examples, the label schema their label indices refer to, and loading statistics.</summary>
public sealed class Dataset
{
    /// <summary>Creates a dataset; every example's labels must be valid indices into <paramref name="schema"/>.</summary>
    public Dataset(IReadOnlyList<Example> examples, LabelSchema schema, DatasetStats stats)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(stats);
        Examples = examples;
        Schema = schema;
        Stats = stats;
    }

    /// <summary>The examples in file order.</summary>
    public IReadOnlyList<Example> Examples { get; }

    /// <summary>The task kind and label names.</summary>
    public LabelSchema Schema { get; }

    /// <summary>Row counts and the file hash.</summary>
    public DatasetStats Stats { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Examples.Count;

    /// <summary>How many of <paramref name="examples"/> (default: all) carry each label, in schema order.</summary>
    public IReadOnlyDictionary<string, int> LabelCounts(IEnumerable<Example>? examples = null)
    {
        var counts = new int[Schema.Count];
        foreach (var e in examples ?? Examples)
            foreach (var l in e.Labels) counts[l]++;
        var result = new Dictionary<string, int>(Schema.Count, StringComparer.Ordinal);
        for (int i = 0; i < counts.Length; i++) result[Schema.Labels[i]] = counts[i];
        return result;
    }
}
