using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>One-vs-rest ROC and precision-recall curves, one line per label, areas in the legend.</summary>
internal static class CurveChart
{
    /// <summary>Labels above this count get the legend outside the data area, to the right.</summary>
    private const int InsideLegendLimit = 8;

    /// <summary>Figure size: square data area, widened for an outside legend.</summary>
    public static (int Width, int Height) FigureSize(IReadOnlyList<string> labels) =>
        labels.Count <= InsideLegendLimit ? (760, 640) : (1080, Math.Max(760, 26 * labels.Count + 160));

    /// <summary>ROC curves with AUC per label and the chance diagonal.</summary>
    public static Plot Roc(IReadOnlyList<string> labels, IReadOnlyList<Curve?> curves, string split, string? scope = null)
    {
        var plot = ChartKit.NewPlot($"ROC curves ({split}, one-vs-rest{(scope == null ? "" : "; " + scope)})", "False positive rate", "True positive rate");
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        chance.LineWidth = 1.5f;
        var items = AddCurves(plot, labels, curves, "AUC");
        items.Add(new LegendItem { LabelText = "chance (AUC = 0.50)", LineColor = Colors.Gray, LinePattern = LinePattern.Dashed, LineWidth = 1.5f });
        Finish(plot, labels.Count, items, Alignment.LowerRight);
        return plot;
    }

    /// <summary>Precision-recall curves with average precision per label and each label's prevalence (the chance level) dotted.</summary>
    public static Plot PrecisionRecall(IReadOnlyList<string> labels, IReadOnlyList<Curve?> curves, IReadOnlyList<double> prevalence, string split,
        string? scope = null)
    {
        var plot = ChartKit.NewPlot($"Precision-recall curves ({split}, one-vs-rest{(scope == null ? "" : "; " + scope)})", "Recall", "Precision");
        for (int k = 0; k < labels.Count; k++)
        {
            if (curves[k] == null) continue;
            var line = plot.Add.Line(0, prevalence[k], 1, prevalence[k]);
            line.LineColor = ChartKit.SeriesColor(k, labels.Count).WithAlpha(0.7);
            line.LinePattern = LinePattern.Dotted;
            line.LineWidth = 1.5f;
        }
        var items = AddCurves(plot, labels, curves, "AP");
        items.Add(new LegendItem { LabelText = "chance = label prevalence (dotted)", LineColor = Colors.Gray, LinePattern = LinePattern.Dotted, LineWidth = 1.5f });
        Finish(plot, labels.Count, items, Alignment.LowerLeft);
        return plot;
    }

    private static List<LegendItem> AddCurves(Plot plot, IReadOnlyList<string> labels, IReadOnlyList<Curve?> curves, string areaName)
    {
        var entries = new List<(double Area, LegendItem Item)>();
        for (int k = 0; k < labels.Count; k++)
        {
            var curve = curves[k];
            if (curve == null) continue;
            var (x, y) = CurveMath.Downsample(curve.X, curve.Y);
            var line = plot.Add.ScatterLine(x, y);
            line.Color = ChartKit.SeriesColor(k, labels.Count);
            line.LinePattern = ChartKit.SeriesPattern(k, labels.Count);
            line.LineWidth = labels.Count <= InsideLegendLimit ? 2.2f : 1.6f;
            line.MarkerSize = 0;
            entries.Add((curve.Area, new LegendItem
            {
                LabelText = $"{ChartKit.Shorten(labels[k], 24)} ({areaName} = {ChartKit.Num(curve.Area)})",
                LineColor = line.Color,
                LinePattern = line.LinePattern,
                LineWidth = 2.5f,
            }));
        }
        // Best curves first, so the legend reads as a ranking.
        return entries.OrderByDescending(e => e.Area).Select(e => e.Item).ToList();
    }

    private static void Finish(Plot plot, int labelCount, List<LegendItem> items, Alignment inside)
    {
        plot.Legend.ManualItems.AddRange(items);
        if (labelCount <= InsideLegendLimit)
        {
            plot.Legend.IsVisible = true;
            plot.Legend.Alignment = inside;
        }
        else
        {
            plot.ShowLegend(Edge.Right);
            plot.Legend.FontSize = 11;
        }
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.02);
    }
}
