using System.Globalization;
using Classify.Reports.RunData;
using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// A reliability diagram: mean confidence against observed accuracy per equal-width bin, before and after
/// calibration, over a panel of how many predictions fall into each bin.
/// </summary>
internal static class ReliabilityChart
{
    /// <summary>The two panels: the diagram (top) and the share of predictions per bin (bottom).</summary>
    public static IReadOnlyList<Plot> Panels(SplitCalibration c, string split, bool multilabel) =>
        [Diagram(c, split, multilabel), BinShares(c, split)];

    private static Plot Diagram(SplitCalibration c, string split, bool multilabel)
    {
        var plot = ChartKit.NewPlot($"Reliability ({split})", multilabel ? "Mean predicted probability" : "Mean confidence (top label)",
            multilabel ? "Share of labels present" : "Accuracy");
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.LegendText = "perfect calibration";
        Series(plot, c.Before, $"before (T = 1, ECE {Ece(c.Before)})", 0);
        Series(plot, c.After, $"after (T {(c.LabelTemperatures is null ? "= " : "")}{c.TemperatureText}, ECE {Ece(c.After)})", 1);
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.Axes.SetLimits(0, 1, 0, 1);
        return plot;
    }

    private static void Series(Plot plot, CalibrationPoint point, string name, int index)
    {
        var filled = point.Reliability.Where(b => b.Count > 0 && b.Confidence is not null && b.Accuracy is not null).ToList();
        var line = plot.Add.ScatterLine(filled.Select(b => b.Confidence!.Value).ToArray(), filled.Select(b => b.Accuracy!.Value).ToArray());
        line.Color = ChartKit.SeriesColor(index, 2);
        line.LineWidth = 2.2f;
        line.MarkerSize = 7;
        line.MarkerShape = index == 0 ? MarkerShape.OpenCircle : MarkerShape.FilledCircle;
        line.LegendText = name;
    }

    private static Plot BinShares(SplitCalibration c, string split)
    {
        var bins = c.Before.Reliability;
        var categories = bins.Select(b => $"{ChartKit.Num(b.Lower)}–{ChartKit.Num(b.Upper)}").ToList();
        static IReadOnlyList<double?> Shares(CalibrationPoint p)
        {
            double total = Math.Max(1, p.Reliability.Sum(b => b.Count));
            return p.Reliability.Select(b => (double?)(100.0 * b.Count / total)).ToList();
        }
        var plot = BarChart.Grouped($"Predictions per bin ({split})", "% of predictions", categories,
            [new BarSeries("before", Shares(c.Before)), new BarSeries("after", Shares(c.After))], valueFormat: null);
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperRight;
        return plot;
    }

    private static string Ece(CalibrationPoint p) => p.Ece is { } e ? e.ToString("0.0000", CultureInfo.InvariantCulture) : "—";
}
