using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// Square label × label heatmaps with the value written in every cell and a colour bar: the confusion matrix
/// (counts or normalised over true labels) and the multi-label co-occurrence matrix.
/// </summary>
internal static class MatrixChart
{
    /// <summary>Pixel size of one cell for <paramref name="labelCount"/> labels.</summary>
    public static int CellPixels(int labelCount) => labelCount <= 4 ? 110 : labelCount <= 8 ? 72 : labelCount <= 14 ? 48 : 34;

    /// <summary>A figure size that leaves room for tick names, the colour bar and the title.</summary>
    public static (int Width, int Height) FigureSize(IReadOnlyList<string> labels)
    {
        int k = labels.Count;
        int longest = labels.Count == 0 ? 0 : labels.Max(l => Math.Min(l.Length, 28));
        int nameRoom = (int)(longest * ChartKit.CategoryTickSize(k) * 0.62f) + 70;
        int data = Math.Max(k * CellPixels(k), 260);
        return (data + nameRoom + 150, data + nameRoom + 90);
    }

    /// <summary>
    /// Builds the heatmap. Row i (top to bottom) is <paramref name="rowLabels"/>[i]; column j is
    /// <paramref name="columnLabels"/>[j]. <paramref name="values"/> are drawn as colour and
    /// <paramref name="cellText"/> is written in the cell (null or empty = nothing written).
    /// </summary>
    public static Plot Create(string title, string xLabel, string yLabel,
        IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels, double[,] values, Func<int, int, string?> cellText,
        double? maxValue = null)
    {
        int rows = rowLabels.Count, cols = columnLabels.Count;
        var plot = ChartKit.NewPlot(title, xLabel, yLabel);
        var heatmap = plot.Add.Heatmap(values);
        // White for 0 up to dark blue for the maximum, as scikit-learn's ConfusionMatrixDisplay.
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        // One rectangle per cell: exact cell borders (a stretched bitmap shifts them) and vector cells in the SVG.
        heatmap.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        // By default cells are centred on integer coordinates (column j at x = j) and row 0 is drawn at the top
        // (y = rows - 1), which is where the tick names and cell numbers are placed.
        double max = maxValue ?? Math.Max(1e-12, Max(values));
        heatmap.ManualRange = new ScottPlot.Range(0, max);
        // The colour bar stays unlabelled: ScottPlot draws its label over the tick numbers, and the title
        // already says what the values are.
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Axis.TickLabelStyle.FontSize = ChartKit.TickSize;

        int k = Math.Max(rows, cols);
        var labels = new CellLabels(k <= 4 ? 20 : k <= 8 ? 16 : k <= 14 ? 13 : 11);
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
        {
            var text = cellText(i, j);
            if (string.IsNullOrEmpty(text)) continue;
            // Dark cells get white text, light cells black text.
            labels.Add(j, rows - 1 - i, text, values[i, j] / max > 0.55 ? Colors.White : Colors.Black);
        }
        plot.Add.Plottable(labels);

        ChartKit.CategoryTicks(plot.Axes.Bottom, columnLabels, pixelsPerCategory: CellPixels(k));
        var yPositions = Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray();
        ChartKit.CategoryTicks(plot.Axes.Left, rowLabels, yPositions);
        plot.Axes.SetLimits(-0.5, cols - 0.5, -0.5, rows - 0.5);
        plot.HideGrid();
        return plot;
    }

    /// <summary>
    /// Confusion matrix of a single-label task; <paramref name="normalize"/> divides each row by its total (recall on the
    /// diagonal). <paramref name="scope"/> names a selection of labels in the title ("29 most frequent of 2,000 labels").
    /// </summary>
    public static Plot Confusion(IReadOnlyList<string> labels, long[,] matrix, bool normalize, string split, string? scope = null)
    {
        int k = labels.Count;
        var values = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            double rowTotal = 0;
            for (int j = 0; j < k; j++) rowTotal += matrix[i, j];
            for (int j = 0; j < k; j++) values[i, j] = normalize ? (rowTotal == 0 ? 0 : matrix[i, j] / rowTotal) : matrix[i, j];
        }
        bool many = k > 12;
        string? Text(int i, int j)
        {
            // With many labels, empty cells stay blank so the non-zero ones stand out.
            if (many && matrix[i, j] == 0) return null;
            return normalize ? Fraction(values[i, j], many) : matrix[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        string selection = scope == null ? "" : $"; {scope}";
        return Create(
            normalize ? $"Confusion matrix ({split}, normalised over true labels{selection})" : $"Confusion matrix ({split}, counts{selection})",
            "Predicted label", "True label",
            labels, labels, values, Text, normalize ? 1.0 : null);
    }

    /// <summary>
    /// Recall-normalised label co-occurrence for a multi-label task: entry (i, j) is the fraction of examples with
    /// gold label i that were predicted with label j. The diagonal is each label's recall; off-diagonal mass shows
    /// which labels are predicted alongside (or instead of) the gold one.
    /// </summary>
    public static Plot CoOccurrence(IReadOnlyList<string> labels, double[,] fractions, string split, string? scope = null)
    {
        int k = labels.Count;
        bool many = k > 12;
        string? Text(int i, int j) => many && fractions[i, j] < 0.005 ? null : Fraction(fractions[i, j], many);
        return Create($"Label co-occurrence ({split}{(scope == null ? "" : "; " + scope)}): P(predicted j | gold i)", "Predicted label j", "Gold label i",
            labels, labels, fractions, Text, 1.0);
    }

    /// <summary>
    /// The recall-normalised co-occurrence matrix over the labels <paramref name="keep"/> (indices into the table's
    /// labels): entry (i, j) is the fraction of rows with gold label keep[i] that were predicted with keep[j].
    /// </summary>
    public static double[,] CoOccurrenceFractions(RunData.PredictionTable p, IReadOnlyList<int> keep)
    {
        int m = keep.Count;
        var position = new Dictionary<int, int>();
        for (int i = 0; i < m; i++) position[keep[i]] = i;
        var counts = new double[m, m];
        var support = new double[m];
        for (int r = 0; r < p.Count; r++)
            foreach (int g in p.GoldLabels[r])
            {
                if (!position.TryGetValue(g, out int i)) continue;
                support[i]++;
                foreach (int q in p.PredictedLabels[r])
                    if (position.TryGetValue(q, out int j)) counts[i, j]++;
            }
        for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            counts[i, j] = support[i] == 0 ? 0 : counts[i, j] / support[i];
        return counts;
    }

    private static string Fraction(double v, bool compact)
    {
        var s = ChartKit.Num(v);
        // ".85" instead of "0.85" keeps 28-label cells legible.
        return compact && s.StartsWith("0.", StringComparison.Ordinal) ? s[1..] : compact && s == "1.00" ? "1" : s;
    }

    private static double Max(double[,] values)
    {
        double max = 0;
        foreach (var v in values) if (v > max) max = v;
        return max;
    }
}
