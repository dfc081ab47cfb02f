namespace Classify.Reports.RunData;

/// <summary>One non-zero cell of a single-label confusion matrix (label indices in schema order).</summary>
internal readonly record struct ConfusionCell(int Gold, int Predicted, long Count);

/// <summary>
/// A single-label confusion matrix held as its non-zero cells, so thousands of labels cost memory in proportion to
/// the examples, not to K². Charts draw a few labels of it with <see cref="Collapse"/>.
/// </summary>
internal sealed class ConfusionCells
{
    public ConfusionCells(int labelCount, IReadOnlyList<ConfusionCell> cells)
    {
        LabelCount = labelCount;
        Cells = cells;
        GoldTotals = new long[labelCount];
        PredictedTotals = new long[labelCount];
        foreach (var c in cells)
        {
            GoldTotals[c.Gold] += c.Count;
            PredictedTotals[c.Predicted] += c.Count;
        }
    }

    /// <summary>Number of labels (rows and columns).</summary>
    public int LabelCount { get; }
    /// <summary>The non-zero cells.</summary>
    public IReadOnlyList<ConfusionCell> Cells { get; }
    /// <summary>Row sums: gold examples per label.</summary>
    public long[] GoldTotals { get; }
    /// <summary>Column sums: predictions per label.</summary>
    public long[] PredictedTotals { get; }

    /// <summary>The cells of a dense matrix.</summary>
    public static ConfusionCells FromDense(long[,] matrix)
    {
        int k = matrix.GetLength(0);
        var cells = new List<ConfusionCell>();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < matrix.GetLength(1); j++)
                if (matrix[i, j] != 0) cells.Add(new ConfusionCell(i, j, matrix[i, j]));
        return new ConfusionCells(k, cells);
    }

    /// <summary>Counts a matrix from per-row gold and predicted label indices (rows without exactly one of each are skipped).</summary>
    public static ConfusionCells Count(int labelCount, IReadOnlyList<int[]> gold, IReadOnlyList<int[]> predicted)
    {
        var counts = new Dictionary<(int, int), long>();
        for (int i = 0; i < gold.Count; i++)
        {
            if (gold[i].Length != 1 || predicted[i].Length != 1) continue;
            var key = (gold[i][0], predicted[i][0]);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return new ConfusionCells(labelCount, counts.OrderBy(kv => kv.Key).Select(kv => new ConfusionCell(kv.Key.Item1, kv.Key.Item2, kv.Value)).ToList());
    }

    /// <summary>
    /// The matrix restricted to <paramref name="keep"/> (label indices, in the order given); when labels are left out,
    /// one more row and column (last) sum every cell that involves them, so each row still totals the label's examples.
    /// </summary>
    public long[,] Collapse(IReadOnlyList<int> keep)
    {
        var position = new Dictionary<int, int>();
        for (int i = 0; i < keep.Count; i++) position[keep[i]] = i;
        bool other = keep.Count < LabelCount;
        int size = keep.Count + (other ? 1 : 0);
        var m = new long[size, size];
        foreach (var c in Cells)
        {
            int g = position.TryGetValue(c.Gold, out var gi) ? gi : other ? size - 1 : -1;
            int p = position.TryGetValue(c.Predicted, out var pi) ? pi : other ? size - 1 : -1;
            if (g >= 0 && p >= 0) m[g, p] += c.Count;
        }
        return m;
    }
}
