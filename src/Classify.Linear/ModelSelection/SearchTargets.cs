namespace Classify.Linear.ModelSelection;

/// <summary>
/// The targets a search fits and scores against: one class index per row (binary, multiclass) or a set of label
/// indices per row (multi-label). Rows are selected per fold with <see cref="Select"/>.
/// </summary>
public sealed class SearchTargets
{
    private SearchTargets(int[]? classes, int[][]? labelSets, int labelCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelCount, 1);
        Classes = classes;
        LabelSets = labelSets;
        LabelCount = labelCount;
    }

    /// <summary>Class index per row, or null for multi-label targets.</summary>
    public int[]? Classes { get; }

    /// <summary>Label indices per row, or null for single-label targets.</summary>
    public int[][]? LabelSets { get; }

    /// <summary>Number of classes (single-label) or labels (multi-label).</summary>
    public int LabelCount { get; }

    /// <summary>True for multi-label targets.</summary>
    public bool IsMultilabel => LabelSets is not null;

    /// <summary>Number of rows.</summary>
    public int Count => Classes?.Length ?? LabelSets!.Length;

    /// <summary>Single-label targets: <paramref name="classes"/> in 0..<paramref name="classCount"/>−1.</summary>
    public static SearchTargets SingleLabel(IReadOnlyList<int> classes, int classCount) => new(classes.ToArray(), null, classCount);

    /// <summary>Multi-label targets: the label indices of each row, in 0..<paramref name="labelCount"/>−1.</summary>
    public static SearchTargets Multilabel(IReadOnlyList<int[]> labelSets, int labelCount) => new(null, labelSets.ToArray(), labelCount);

    /// <summary>The targets of some rows, in the order given.</summary>
    public SearchTargets Select(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return Classes is { } c
            ? new SearchTargets(Array.ConvertAll(rows, i => c[i]), null, LabelCount)
            : new SearchTargets(null, Array.ConvertAll(rows, i => LabelSets![i]), LabelCount);
    }

    /// <summary>Label sets per row (a single-label row is the set of its class).</summary>
    public int[][] AsLabelSets() => LabelSets ?? Array.ConvertAll(Classes!, c => new[] { c });

    /// <summary>A row × label indicator matrix (multi-label fitting).</summary>
    public bool[][] Indicators()
    {
        var sets = AsLabelSets();
        var y = new bool[sets.Length][];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = new bool[LabelCount];
            foreach (var k in sets[i]) y[i][k] = true;
        }
        return y;
    }
}
