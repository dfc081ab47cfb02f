using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>A named series of values, one per category (null = not available, no bar drawn).</summary>
internal sealed record BarSeries(string Name, IReadOnlyList<double?> Values);

/// <summary>Grouped vertical bars (categories × series) and sorted horizontal bars.</summary>
internal static class BarChart
{
    /// <summary>Figure size for grouped bars over <paramref name="categories"/>.</summary>
    public static (int Width, int Height) GroupedSize(IReadOnlyList<string> categories, int seriesCount)
    {
        int perCategory = Math.Max(60, 22 * seriesCount + 16);
        int width = Math.Clamp(categories.Count * perCategory + 220, 700, 1600);
        int longest = categories.Count == 0 ? 0 : categories.Max(c => Math.Min(c.Length, 28));
        // Many categories make a wide figure; keep it from getting flat.
        int height = Math.Max(480, width * 2 / 5);
        return (width, height + (categories.Count > 6 ? (int)(longest * 6.5) : 0));
    }

    /// <summary>
    /// Grouped bars: one group per category, one colour per series. With <paramref name="valueFormat"/> the value
    /// is written above each bar (only when bars are wide enough to hold it).
    /// </summary>
    public static Plot Grouped(string title, string? yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series,
        double? yMax = null, string? valueFormat = null)
    {
        var plot = ChartKit.NewPlot(title, null, yLabel);
        int s = series.Count;
        double groupWidth = 0.8, barWidth = groupWidth / Math.Max(1, s);
        bool writeValues = valueFormat != null && categories.Count * s <= 24;
        double top = 0;
        for (int si = 0; si < s; si++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
            {
                if (series[si].Values[c] is not { } v || !double.IsFinite(v)) continue;
                top = Math.Max(top, v);
                bars.Add(new Bar
                {
                    Position = c - groupWidth / 2 + barWidth * (si + 0.5),
                    Value = v,
                    Size = barWidth * 0.92,
                    FillColor = ChartKit.SeriesColor(si, Math.Min(s, 10)),
                    LineWidth = 0,
                    Label = writeValues ? ChartKit.Num(v, valueFormat!) : "",
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = series[si].Name;
            plottable.ValueLabelStyle.FontSize = 11;
            plottable.ValueLabelStyle.FontName = ChartKit.FontName;
        }
        ChartKit.CategoryTicks(plot.Axes.Bottom, categories);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        double upper = yMax ?? (top <= 0 ? 1 : top * 1.18);
        plot.Axes.SetLimits(-0.6, categories.Count - 0.4, 0, upper);
        plot.HideGrid();
        plot.Grid.YAxisStyle.IsVisible = true;
        if (s > 1)
        {
            plot.Legend.IsVisible = true;
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.Legend.Orientation = Orientation.Horizontal;
        }
        return plot;
    }

    /// <summary>Height for a horizontal bar chart with <paramref name="count"/> bars.</summary>
    public static int HorizontalHeight(int count) => Math.Max(360, 24 * count + 150);

    /// <summary>Horizontal bars sorted from the largest value at the top, value written at each bar's end.</summary>
    public static Plot SortedHorizontal(string title, string xLabel, IReadOnlyList<string> names, IReadOnlyList<double> values, double xMax = 1.0)
    {
        var plot = ChartKit.NewPlot(title, xLabel, null);
        var order = Enumerable.Range(0, names.Count).OrderByDescending(i => values[i]).ThenBy(i => names[i], StringComparer.Ordinal).ToArray();
        int n = order.Length;
        var bars = new List<Bar>();
        for (int r = 0; r < n; r++)
        {
            int i = order[r];
            bars.Add(new Bar
            {
                Position = n - 1 - r,
                Value = values[i],
                Size = 0.75,
                FillColor = ChartKit.SeriesColor(0, 1),
                LineWidth = 0,
                Label = ChartKit.Num(values[i]),
                Orientation = Orientation.Horizontal,
            });
        }
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = n > 20 ? 10 : 11;
        plottable.ValueLabelStyle.FontName = ChartKit.FontName;
        var positions = Enumerable.Range(0, n).Select(r => (double)(n - 1 - r)).ToArray();
        ChartKit.CategoryTicks(plot.Axes.Left, order.Select(i => names[i]).ToList(), positions);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(0, xMax * 1.1, -0.6, n - 0.4);
        plot.HideGrid();
        plot.Grid.XAxisStyle.IsVisible = true;
        return plot;
    }
}
