using System.Globalization;
using Classify.Core.Metrics;
using Classify.Reports.RunData;
using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// Every chart of a run, rendered in parallel and written to <c>plots/</c> as PNG and SVG:
/// the 2×2 analysis grid, validation-vs-test metric bars, class distribution per split, per split the confusion
/// matrix (counts and normalised; multi-label: the recall-normalised co-occurrence matrix and F1 against the
/// decision threshold), per-label F1 bars, reliability diagrams when the run calibrated, ROC and precision-recall
/// curves, the Uncertainty section's charts (<see cref="UncertaintyCharts"/>) when the run has rejection curves or
/// uncertainty columns, and training curves when the run has a log.jsonl. With more than <see cref="ReportLimits.ChartLabels"/> labels each chart draws a selection of
/// them (the most frequent, or the best and worst F1), named in its title or caption.
/// </summary>
public static class RunCharts
{
    /// <summary>How many labels the threshold chart draws individually (the most frequent ones).</summary>
    public const int ThresholdChartLabels = 8;

    /// <summary>Renders every chart of the run in <paramref name="runDirectory"/> into its plots/ folder.</summary>
    /// <returns>The charts written, in the order the report shows them.</returns>
    /// <exception cref="Classify.Core.IO.InputException">The folder is not a run folder or a file in it is malformed.</exception>
    public static IReadOnlyList<ChartFile> Write(string runDirectory)
    {
        var run = RunFolder.Load(runDirectory);
        return Write(run, run.Layout.PlotsDirectory);
    }

    internal static IReadOnlyList<ChartFile> Write(RunFolder run, string plotsDirectory)
    {
        var charts = Render(run);
        var files = new ChartFile[charts.Count];
        Parallel.For(0, charts.Count, i => files[i] = charts[i].Save(plotsDirectory));
        return files;
    }

    /// <summary>Renders every chart in memory (in parallel; each job builds and renders its own plots).</summary>
    internal static IReadOnlyList<RenderedChart> Render(RunFolder run)
    {
        var jobs = Jobs(run);
        var results = new RenderedChart[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results[i] = jobs[i]());
        return results;
    }

    private static List<Func<RenderedChart>> Jobs(RunFolder run)
    {
        var labels = run.Labels;
        var jobs = new List<Func<RenderedChart>>();
        bool hasMetrics = run.Metrics.Count > 0;
        var classCounts = run.ClassCounts();

        jobs.Add(() => AnalysisGrid(run, classCounts));
        if (hasMetrics) jobs.Add(() => MetricBars(run));
        if (classCounts.Count > 0) jobs.Add(() => ClassDistribution(labels, classCounts));

        foreach (var split in run.Splits)
        {
            run.Metrics.TryGetValue(split, out var metrics);
            run.Predictions.TryGetValue(split, out var predictions);
            if (!run.IsMultilabel && ConfusionView(labels, metrics, predictions) is { } view)
            {
                jobs.Add(() => Confusion(view, normalize: false, split));
                jobs.Add(() => Confusion(view, normalize: true, split));
            }
            if (run.IsMultilabel && predictions != null)
            {
                jobs.Add(() => CoOccurrence(predictions, split));
                jobs.Add(() => ThresholdF1(predictions, split));
            }
            if (metrics is { PerClass.Count: > 0 }) jobs.Add(() => PerLabelF1(metrics, split));
            if (metrics?.Calibration is { } calibration) jobs.Add(() => Reliability(calibration, split, run.IsMultilabel));
            if (predictions != null)
            {
                jobs.Add(() => Roc(predictions, split));
                jobs.Add(() => PrecisionRecall(predictions, split));
            }
            jobs.AddRange(UncertaintyCharts.Jobs(run, split));
        }
        if (run.Log is { } log && LineCharts.TrainingPanels(log).Count > 0) jobs.Add(() => TrainingCurves(log));
        return jobs;
    }

    // ---- individual charts -------------------------------------------------------------------------------

    private static RenderedChart Confusion(ConfusionChartData view, bool normalize, string split)
    {
        var plot = MatrixChart.Confusion(view.Names, view.Matrix, normalize, split, view.Scope);
        var (w, h) = MatrixChart.FigureSize(view.Names);
        string selection = view.Scope == null ? "" : $" {view.Note} The full matrix (non-zero cells) is metrics/{split}_confusion.csv.";
        return normalize
            ? ChartKit.Render(plot, w, h, $"confusion_matrix_{split}_normalized", $"Confusion matrix, {split}, normalised",
                "Each row (true label) sums to 1: the diagonal is the recall of each label, off-diagonal cells show where its examples went." + selection)
            : ChartKit.Render(plot, w, h, $"confusion_matrix_{split}", $"Confusion matrix, {split}, counts",
                "Rows are true labels, columns predicted labels; the diagonal holds the correctly classified examples." + selection);
    }

    private static RenderedChart CoOccurrence(PredictionTable p, string split)
    {
        var keep = ReportLimits.Top(Longs(p.GoldCounts()), ReportLimits.ChartLabels);
        var names = keep.Select(k => p.Labels[k]).ToList();
        var plot = MatrixChart.CoOccurrence(names, MatrixChart.CoOccurrenceFractions(p, keep), split, Scope(keep.Length, p.LabelCount));
        var (w, h) = MatrixChart.FigureSize(names);
        return ChartKit.Render(plot, w, h, $"cooccurrence_{split}", $"Label co-occurrence, {split} (recall-normalised)",
            "Entry (i, j) is the fraction of examples whose gold labels include i that were predicted with label j. " +
            "The diagonal is each label's recall; off-diagonal mass shows labels predicted alongside or instead of the gold one. Rows need not sum to 1." +
            (keep.Length < p.LabelCount ? $" Drawn for the {keep.Length} labels with the most gold examples of {p.LabelCount:N0}." : ""));
    }

    private static RenderedChart ThresholdF1(PredictionTable p, string split)
    {
        var thresholds = LineCharts.Thresholds();
        var f1 = new double[p.LabelCount][];
        var support = p.GoldCounts();
        for (int k = 0; k < p.LabelCount; k++) f1[k] = CurveMath.F1AtThresholds(p.GoldColumn(k), p.Scores(k), thresholds);
        var top = Enumerable.Range(0, p.LabelCount).OrderByDescending(k => support[k]).ThenBy(k => k).Take(ThresholdChartLabels).ToList();
        var plot = LineCharts.ThresholdF1(p.Labels, f1, top, thresholds, split);
        return ChartKit.Render(plot, 1100, 620, $"threshold_f1_{split}", $"F1 against the decision threshold, {split}",
            $"F1 of the {top.Count} most frequent labels and macro F1 over all labels when a label is predicted for probability ≥ t. " +
            "A macro peak far from 0.5 suggests tuning per-label thresholds on validation.");
    }

    private static RenderedChart Reliability(SplitCalibration c, string split, bool multilabel)
    {
        var panels = ReliabilityChart.Panels(c, split, multilabel);
        string what = multilabel
            ? "Every (example, label) pair pooled: each label's probability against the share of pairs where the label is present"
            : "Top-label confidence against the share of examples whose most probable label is the gold label";
        return ChartKit.RenderGrid(panels, 2, 1, 900, 1100, $"reliability_{split}", $"Reliability diagram, {split}",
            $"{what}, in {c.Before.Reliability.Count} equal-width bins, before calibration (temperature 1) and after " +
            $"(temperature {c.TemperatureText}, fitted on validation). Points on the dashed diagonal are calibrated. " +
            "The lower panel shows how many of them fall into each bin; ECE weighs each bin's gap by that share.");
    }

    private static RenderedChart PerLabelF1(SplitMetrics m, string split)
    {
        var rows = PerLabelF1Rows(m.PerClass);
        var names = rows.Select(c => $"{c.Label} (n={c.Support.ToString(CultureInfo.InvariantCulture)})").ToList();
        bool cut = rows.Count < m.PerClass.Count;
        int best = (rows.Count + 1) / 2, worst = rows.Count / 2;
        var plot = BarChart.SortedHorizontal(cut ? $"F1 per label ({split}): {best} best and {worst} worst of {m.PerClass.Count:N0} labels" : $"F1 per label ({split}), sorted",
            "F1", names, rows.Select(c => c.F1).ToList());
        return ChartKit.Render(plot, 860, BarChart.HorizontalHeight(names.Count), $"per_label_f1_{split}", $"F1 per label, {split}",
            "Labels sorted by F1, best first; n is the number of gold examples (support)." +
            (cut ? $" Only the {best} best and {worst} worst of the {m.PerClass.Count:N0} labels with examples or predictions are drawn; every label is in metrics/{split}_per_class.csv." : ""));
    }

    /// <summary>The per-label rows the F1 chart draws: all of them, or the best and the worst when there are more than <see cref="ReportLimits.ChartLabels"/>.</summary>
    internal static IReadOnlyList<ClassMetrics> PerLabelF1Rows(IReadOnlyList<ClassMetrics> perClass)
    {
        if (perClass.Count <= ReportLimits.ChartLabels) return perClass;
        var ranked = perClass.OrderByDescending(c => c.F1).ThenBy(c => c.Label, StringComparer.Ordinal).ToList();
        int best = (ReportLimits.ChartLabels + 1) / 2, worst = ReportLimits.ChartLabels / 2;
        return [.. ranked.Take(best), .. ranked.Skip(ranked.Count - worst)];
    }

    private static RenderedChart Roc(PredictionTable p, string split)
    {
        var keep = ReportLimits.Top(Longs(p.GoldCounts()), ReportLimits.ChartLabels);
        var names = keep.Select(k => p.Labels[k]).ToList();
        var curves = keep.Select(k => CurveMath.Roc(p.GoldColumn(k), p.Scores(k))).ToList();
        var plot = CurveChart.Roc(names, curves, split, Scope(keep.Length, p.LabelCount));
        var (w, h) = CurveChart.FigureSize(names);
        return ChartKit.Render(plot, w, h, $"roc_{split}", $"ROC curves, {split}",
            "One-vs-rest ROC curve per label from the predicted probabilities; legend sorted by AUC. The dashed diagonal is a random ranking. " +
            "Labels without both positive and negative examples have no curve." + CurveSelection(p, keep.Length, split));
    }

    private static RenderedChart PrecisionRecall(PredictionTable p, string split)
    {
        var keep = ReportLimits.Top(Longs(p.GoldCounts()), ReportLimits.ChartLabels);
        var names = keep.Select(k => p.Labels[k]).ToList();
        var curves = keep.Select(k => CurveMath.PrecisionRecall(p.GoldColumn(k), p.Scores(k))).ToList();
        var gold = p.GoldCounts();
        var prevalence = keep.Select(k => p.Count == 0 ? 0 : gold[k] / (double)p.Count).ToList();
        var plot = CurveChart.PrecisionRecall(names, curves, prevalence, split, Scope(keep.Length, p.LabelCount));
        var (w, h) = CurveChart.FigureSize(names);
        return ChartKit.Render(plot, w, h, $"pr_{split}", $"Precision-recall curves, {split}",
            "One-vs-rest precision-recall curve per label; AP is scikit-learn's average precision. " +
            "A dotted line at the label's prevalence is what random scores achieve." + CurveSelection(p, keep.Length, split));
    }

    private static string CurveSelection(PredictionTable p, int drawn, string split) =>
        (drawn < p.LabelCount ? $" Drawn for the {drawn} labels with the most gold examples of {p.LabelCount:N0}; every label's AUC is in metrics/{split}_per_class.csv." : "") +
        (p.IsSparse ? " The predictions file lists only each row's most probable, gold and predicted labels; unlisted probabilities count as 0, which only affects the low-score end of a curve." : "");

    /// <summary>"29 most frequent of 2,000 labels" when a chart shows a selection, else null.</summary>
    private static string? Scope(int shown, int total) => shown < total ? $"{shown} most frequent of {total:N0} labels" : null;

    private static long[] Longs(int[] values) => Array.ConvertAll(values, v => (long)v);

    private static RenderedChart MetricBars(RunFolder run)
    {
        var plot = MetricBarsPlot(run);
        var (w, h) = BarChart.GroupedSize(BarMetricKeys(run).ToList(), run.Metrics.Count);
        return ChartKit.Render(plot, Math.Max(w, 900), h, "metrics_val_vs_test", "Validation vs test metrics",
            "Headline metrics on each evaluation split. A large gap between validation and test suggests overfitting to validation (e.g. through model selection).");
    }

    private static RenderedChart ClassDistribution(IReadOnlyList<string> labels, IReadOnlyList<SplitClassCounts> counts)
    {
        var (plot, categories, otherShares) = ClassDistributionPlot(labels, counts);
        var (w, h) = BarChart.GroupedSize(categories, counts.Count);
        return ChartKit.Render(plot, w, h, "class_distribution", "Class distribution per split",
            "Share of each split's examples that carry each label (multi-label shares can sum to more than 100%). Similar bars across splits mean a stratified split." +
            (categories.Count < labels.Count
                ? $" The {categories.Count} most frequent of {labels.Count:N0} labels; the other {labels.Count - categories.Count:N0} hold " +
                  string.Join(", ", otherShares.Select(o => $"{o.Share.ToString("0.#", CultureInfo.InvariantCulture)}% of {o.Split}")) + " (run.json class_counts has every label)."
                : ""));
    }

    private static RenderedChart TrainingCurves(TrainingLog log)
    {
        var panels = LineCharts.TrainingPanels(log);
        return ChartKit.RenderGrid(panels, panels.Count, 1, 1000, 330 * panels.Count, "training_curves", "Training curves",
            "From log.jsonl: training and validation loss, the learning-rate schedule and validation metrics against the optimiser step.");
    }

    private static RenderedChart AnalysisGrid(RunFolder run, IReadOnlyList<SplitClassCounts> counts)
    {
        var labels = run.Labels;
        Plot MatrixPanel(string split)
        {
            run.Metrics.TryGetValue(split, out var metrics);
            run.Predictions.TryGetValue(split, out var p);
            if (run.IsMultilabel && p == null)
                return ChartKit.MessagePlot($"Label co-occurrence ({split})", $"no predictions/{split}.csv");
            if (run.IsMultilabel)
            {
                var keep = ReportLimits.Top(Longs(p!.GoldCounts()), ReportLimits.ChartLabels);
                return MatrixChart.CoOccurrence(keep.Select(k => p.Labels[k]).ToList(), MatrixChart.CoOccurrenceFractions(p, keep), split, Scope(keep.Length, p.LabelCount));
            }
            return ConfusionView(labels, metrics, p) is { } view
                ? MatrixChart.Confusion(view.Names, view.Matrix, normalize: true, split, view.Scope)
                : ChartKit.MessagePlot($"Confusion matrix ({split})", $"no {split} split in this run");
        }
        var panels = new List<Plot>
        {
            MatrixPanel("val"),
            MatrixPanel("test"),
            run.Metrics.Count > 0 ? MetricBarsPlot(run) : ChartKit.MessagePlot("Validation vs test metrics", "no metrics/*.json"),
            counts.Count > 0 ? ClassDistributionPlot(labels, counts).Plot : ChartKit.MessagePlot("Class distribution per split", "no class counts"),
        };
        // Sized for what the panels draw: at most ReportLimits.ChartLabels labels.
        var shown = labels.Take(ReportLimits.ChartLabels).ToList();
        var (mw, mh) = MatrixChart.FigureSize(shown);
        var (bw, bh) = BarChart.GroupedSize(shown, Math.Max(1, counts.Count));
        // Panels at their natural size, capped so a 28-label grid stays a reasonable image (about 2000 × 1900).
        int cellWidth = Math.Clamp(Math.Max(mw, bw), 800, 1000), cellHeight = Math.Clamp(Math.Max(mh, bh), 600, 950);
        return ChartKit.RenderGrid(panels, 2, 2, 2 * cellWidth, 2 * cellHeight, "analysis_grid", "Analysis overview",
            run.IsMultilabel
                ? "Top: recall-normalised label co-occurrence on validation and test. Bottom: headline metrics per split and class distribution."
                : "Top: confusion matrices (normalised over true labels) on validation and test. Bottom: headline metrics per split and class distribution.");
    }

    // ---- shared plot builders ----------------------------------------------------------------------------

    private static IEnumerable<string> BarMetricKeys(RunFolder run) =>
        MetricKeys.Headline.Where(k => MetricKeys.GreaterIsBetter(k) && run.Metrics.Values.Any(m => m.Get(k) != null));

    private static Plot MetricBarsPlot(RunFolder run)
    {
        var keys = BarMetricKeys(run).ToList();
        var series = run.Metrics.OrderBy(kv => kv.Key == "val" ? 0 : 1)
            .Select(kv => new BarSeries(kv.Key == "val" ? "validation" : kv.Key, keys.Select(k => kv.Value.Get(k)).ToList()))
            .ToList();
        return BarChart.Grouped("Validation vs test metrics", "Score", keys.Select(MetricKeys.DisplayName).ToList(), series, yMax: 1.18, valueFormat: "0.00");
    }

    /// <summary>
    /// Class shares per split: every label, or beyond <see cref="ReportLimits.ChartLabels"/> labels the most frequent
    /// ones over all splits (the share the others hold is returned for the caption, not drawn: it would dwarf the bars).
    /// </summary>
    private static (Plot Plot, IReadOnlyList<string> Categories, IReadOnlyList<(string Split, double Share)> OtherShares) ClassDistributionPlot(
        IReadOnlyList<string> labels, IReadOnlyList<SplitClassCounts> counts)
    {
        var totals = labels.Select(l => counts.Sum(c => (long)c.Counts.GetValueOrDefault(l))).ToArray();
        var keep = ReportLimits.Top(totals, ReportLimits.ChartLabels);
        var categories = keep.Select(k => labels[k]).ToList();
        var kept = new HashSet<string>(categories, StringComparer.Ordinal);
        var series = new List<BarSeries>();
        var otherShares = new List<(string, double)>();
        foreach (var (split, c, examples) in counts)
        {
            // Share of the split's examples, so splits of different sizes compare directly.
            double Share(long n) => examples > 0 ? 100.0 * n / examples : 0.0;
            series.Add(new BarSeries($"{split} (n={examples.ToString(CultureInfo.InvariantCulture)})", keep.Select(k => (double?)Share(c.GetValueOrDefault(labels[k]))).ToList()));
            otherShares.Add((split, Share(c.Where(kv => !kept.Contains(kv.Key)).Sum(kv => (long)kv.Value))));
        }
        var title = keep.Length < labels.Count ? $"Class distribution per split ({keep.Length} most frequent of {labels.Count:N0} labels)" : "Class distribution per split";
        return (BarChart.Grouped(title, "% of split", categories, series), categories, otherShares);
    }

    /// <summary>The confusion counts from the metrics file, else counted from the predictions; null when neither has them.</summary>
    internal static ConfusionCells? ConfusionCounts(int labelCount, SplitMetrics? metrics, PredictionTable? predictions)
    {
        if (metrics?.Confusion is { } m && m.LabelCount == labelCount) return m;
        if (predictions == null || predictions.LabelCount != labelCount) return null;
        return ConfusionCells.Count(labelCount, predictions.GoldLabels, predictions.PredictedLabels);
    }

    /// <summary>
    /// What the confusion charts draw: every label, or beyond <see cref="ReportLimits.ChartLabels"/> labels the most
    /// frequent ones (gold + predicted) and one "other" row and column summing the rest.
    /// </summary>
    internal static ConfusionChartData? ConfusionView(IReadOnlyList<string> labels, SplitMetrics? metrics, PredictionTable? predictions)
    {
        if (ConfusionCounts(labels.Count, metrics, predictions) is not { } cells) return null;
        if (labels.Count <= ReportLimits.ChartLabels)
            return new ConfusionChartData(labels, cells.Collapse(Enumerable.Range(0, labels.Count).ToArray()), null, "");
        var weight = Enumerable.Range(0, labels.Count).Select(k => cells.GoldTotals[k] + cells.PredictedTotals[k]).ToArray();
        var keep = ReportLimits.Top(weight, ReportLimits.ChartLabels - 1);
        var names = keep.Select(k => labels[k]).Append($"other ({labels.Count - keep.Length:N0} labels)").ToList();
        return new ConfusionChartData(names, cells.Collapse(keep), Scope(keep.Length, labels.Count),
            $"Drawn for the {keep.Length} labels with the most gold and predicted examples of {labels.Count:N0}; the last row and column sum every other label.");
    }
}

/// <summary>A confusion matrix as drawn: row/column names, counts, and the selection note when labels were left out.</summary>
internal sealed record ConfusionChartData(IReadOnlyList<string> Names, long[,] Matrix, string? Scope, string Note);
