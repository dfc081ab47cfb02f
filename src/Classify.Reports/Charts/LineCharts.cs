using ScottPlot;
using Classify.Reports.RunData;

namespace Classify.Reports.Charts;

/// <summary>Line charts: training dynamics from log.jsonl and F1 as a function of the decision threshold.</summary>
internal static class LineCharts
{
    /// <summary>log.jsonl keys that are bookkeeping, not evaluation metrics.</summary>
    private static readonly HashSet<string> NotMetrics = new(StringComparer.Ordinal)
    {
        "eval_loss", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_epoch", "eval_step", "eval_masked_tokens",
    };

    /// <summary>
    /// The score metrics drawn in the validation panel when logged: the headline ones, so the panel stays readable
    /// (a trainer logs fifteen eval_* keys; losses have their own panel, Brier score and log loss are losses too).
    /// </summary>
    private static readonly string[] PanelMetrics =
        ["eval_accuracy", "eval_macro_f1", "eval_micro_f1", "eval_samples_f1", "eval_roc_auc_macro", "eval_pr_auc_macro"];

    /// <summary>
    /// The panels of the training-curves figure: loss (training and evaluation), learning rate, and the headline
    /// eval_* metrics (any other eval_* score when none of those was logged), each against the optimiser step. Panels without data are left out; empty when nothing was logged.
    /// </summary>
    public static List<Plot> TrainingPanels(TrainingLog log)
    {
        var panels = new List<Plot>();
        var loss = log.Series("loss");
        var evalLoss = log.Series("eval_loss");
        if (loss.Steps.Length > 0 || evalLoss.Steps.Length > 0)
        {
            var plot = ChartKit.NewPlot("Loss", "Step", "Loss");
            AddSeries(plot, loss, "training loss", 0, markers: false);
            AddSeries(plot, evalLoss, "validation loss", 1, markers: true);
            ShowLegend(plot, Alignment.UpperRight);
            panels.Add(plot);
        }
        var lr = log.Series("learning_rate");
        if (lr.Steps.Length > 0)
        {
            var plot = ChartKit.NewPlot("Learning rate", "Step", "Learning rate");
            AddSeries(plot, lr, null, 2, markers: false); // one series: the title names it, no legend
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => v.ToString("0.0#e+0", System.Globalization.CultureInfo.InvariantCulture) };
            panels.Add(plot);
        }
        var allMetricKeys = log.Keys.Where(k => k.StartsWith("eval_", StringComparison.Ordinal) && !NotMetrics.Contains(k)).ToList();
        var metricKeys = PanelMetrics.Where(allMetricKeys.Contains).ToList();
        if (metricKeys.Count == 0) metricKeys = allMetricKeys.Where(k => !k.EndsWith("_loss", StringComparison.Ordinal) && k != "eval_brier_score").ToList();
        Plot? metricsPanel = null;
        if (metricKeys.Count > 0)
        {
            var plot = metricsPanel = ChartKit.NewPlot("Validation metrics", "Step", "Score");
            for (int i = 0; i < metricKeys.Count; i++)
                AddSeries(plot, log.Series(metricKeys[i]), metricKeys[i]["eval_".Length..], 3 + i, markers: true);
            // The legend sits in headroom added above the curves (below), so it never hides their ends.
            ShowLegend(plot, Alignment.UpperLeft);
            panels.Add(plot);
        }
        // One step axis for all panels, so a point in time lines up vertically.
        var steps = log.Entries.Select((e, i) => e.TryGetValue("step", out var s) ? s : i).DefaultIfEmpty(0).ToList();
        double first = Math.Min(0, steps.Min()), last = Math.Max(1, steps.Max());
        foreach (var panel in panels)
        {
            panel.Axes.AutoScale();
            var limits = panel.Axes.GetLimits();
            double pad = (last - first) * 0.02;
            panel.Axes.SetLimitsX(first - pad, last + pad);
            double span = Math.Max(limits.Top - limits.Bottom, 1e-12);
            panel.Axes.SetLimitsY(limits.Bottom - span * 0.05, limits.Top + span * (panel == metricsPanel ? 0.25 + 0.12 * metricKeys.Count : 0.08));
        }
        return panels;
    }

    private static void AddSeries(Plot plot, (double[] Steps, double[] Values) series, string? name, int colorIndex, bool markers)
    {
        if (series.Steps.Length == 0) return;
        var line = plot.Add.Scatter(series.Steps, series.Values);
        line.Color = ChartKit.SeriesColor(colorIndex % 10, 10);
        line.LineWidth = 2;
        line.MarkerSize = markers ? 6 : 0;
        if (name != null) line.LegendText = name;
    }

    private static void ShowLegend(Plot plot, Alignment alignment)
    {
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = alignment;
    }

    /// <summary>Thresholds 0.01 … 0.99 used for threshold sweeps.</summary>
    public static double[] Thresholds() => Enumerable.Range(1, 99).Select(i => i / 100.0).ToArray();

    /// <summary>
    /// F1 against the decision threshold for the <paramref name="topLabels"/> most frequent labels, plus macro F1
    /// over all labels (same threshold for every label), with the default 0.5 and the best macro threshold marked.
    /// </summary>
    public static Plot ThresholdF1(IReadOnlyList<string> labels, IReadOnlyList<double[]> f1PerLabel, IReadOnlyList<int> topLabels,
        double[] thresholds, string split)
    {
        var plot = ChartKit.NewPlot($"F1 vs decision threshold ({split})", "Decision threshold (predict label when p ≥ t)", "F1");
        var half = plot.Add.VerticalLine(0.5);
        half.LineColor = Colors.Gray;
        half.LinePattern = LinePattern.Dashed;
        half.LineWidth = 1;
        half.LegendText = "default threshold 0.5";
        for (int r = 0; r < topLabels.Count; r++)
        {
            int k = topLabels[r];
            var line = plot.Add.ScatterLine(thresholds, f1PerLabel[k]);
            line.Color = ChartKit.SeriesColor(r, topLabels.Count);
            line.LineWidth = 1.6f;
            line.LegendText = ChartKit.Shorten(labels[k], 22);
        }
        var macro = new double[thresholds.Length];
        for (int t = 0; t < thresholds.Length; t++) macro[t] = f1PerLabel.Average(f => f[t]);
        int best = Array.IndexOf(macro, macro.Max());
        var macroLine = plot.Add.ScatterLine(thresholds, macro);
        macroLine.Color = Colors.Black;
        macroLine.LineWidth = 3;
        macroLine.LegendText = $"macro F1, all {labels.Count} labels (best {ChartKit.Num(macro[best])} at t = {ChartKit.Num(thresholds[best])})";
        var marker = plot.Add.Marker(thresholds[best], macro[best]);
        marker.Color = Colors.Black;
        marker.Size = 10;
        plot.ShowLegend(Edge.Right);
        plot.Legend.FontSize = 11;
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        return plot;
    }
}
