using System.Globalization;
using Classify.Core.Metrics;
using Classify.Reports.RunData;
using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// Every chart of a run, rendered in parallel and written to <c>plots/</c> as PNG and SVG:
/// the 2×2 analysis grid, validation-vs-test metric bars, class distribution per split, per split the confusion
/// matrix (counts and normalised; multi-label: the recall-normalised co-occurrence matrix and F1 against the
/// decision threshold), per-label F1 bars, ROC and precision-recall curves, and training curves when the run
/// has a log.jsonl.
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
            if (!run.IsMultilabel && ConfusionCounts(labels, metrics, predictions) is { } matrix)
            {
                jobs.Add(() => Confusion(labels, matrix, normalize: false, split));
                jobs.Add(() => Confusion(labels, matrix, normalize: true, split));
            }
            if (run.IsMultilabel && predictions != null)
            {
                jobs.Add(() => CoOccurrence(predictions, split));
                jobs.Add(() => ThresholdF1(predictions, split));
            }
            if (metrics is { PerClass.Count: > 0 }) jobs.Add(() => PerLabelF1(metrics, split));
            if (predictions != null)
            {
                jobs.Add(() => Roc(predictions, split));
                jobs.Add(() => PrecisionRecall(predictions, split));
            }
        }
        if (run.Log is { } log && LineCharts.TrainingPanels(log).Count > 0) jobs.Add(() => TrainingCurves(log));
        return jobs;
    }

    // ---- individual charts -------------------------------------------------------------------------------

    private static RenderedChart Confusion(IReadOnlyList<string> labels, long[,] matrix, bool normalize, string split)
    {
        var plot = MatrixChart.Confusion(labels, matrix, normalize, split);
        var (w, h) = MatrixChart.FigureSize(labels);
        return normalize
            ? ChartKit.Render(plot, w, h, $"confusion_matrix_{split}_normalized", $"Confusion matrix, {split}, normalised",
                "Each row (true label) sums to 1: the diagonal is the recall of each label, off-diagonal cells show where its examples went.")
            : ChartKit.Render(plot, w, h, $"confusion_matrix_{split}", $"Confusion matrix, {split}, counts",
                "Rows are true labels, columns predicted labels; the diagonal holds the correctly classified examples.");
    }

    private static RenderedChart CoOccurrence(PredictionTable p, string split)
    {
        var fractions = MatrixChart.CoOccurrenceFractions(p.Gold, p.Pred, p.Count, p.LabelCount);
        var plot = MatrixChart.CoOccurrence(p.Labels, fractions, split);
        var (w, h) = MatrixChart.FigureSize(p.Labels);
        return ChartKit.Render(plot, w, h, $"cooccurrence_{split}", $"Label co-occurrence, {split} (recall-normalised)",
            "Entry (i, j) is the fraction of examples whose gold labels include i that were predicted with label j. " +
            "The diagonal is each label's recall; off-diagonal mass shows labels predicted alongside or instead of the gold one. Rows need not sum to 1.");
    }

    private static RenderedChart ThresholdF1(PredictionTable p, string split)
    {
        var thresholds = LineCharts.Thresholds();
        var f1 = new double[p.LabelCount][];
        var support = new int[p.LabelCount];
        for (int k = 0; k < p.LabelCount; k++)
        {
            var gold = p.GoldColumn(k);
            support[k] = gold.Count(g => g);
            f1[k] = CurveMath.F1AtThresholds(gold, p.Scores(k), thresholds);
        }
        var top = Enumerable.Range(0, p.LabelCount).OrderByDescending(k => support[k]).ThenBy(k => k).Take(ThresholdChartLabels).ToList();
        var plot = LineCharts.ThresholdF1(p.Labels, f1, top, thresholds, split);
        return ChartKit.Render(plot, 1100, 620, $"threshold_f1_{split}", $"F1 against the decision threshold, {split}",
            $"F1 of the {top.Count} most frequent labels and macro F1 over all labels when a label is predicted for probability ≥ t. " +
            "A macro peak far from 0.5 suggests tuning per-label thresholds on validation.");
    }

    private static RenderedChart PerLabelF1(SplitMetrics m, string split)
    {
        var names = m.PerClass.Select(c => $"{c.Label} (n={c.Support.ToString(CultureInfo.InvariantCulture)})").ToList();
        var plot = BarChart.SortedHorizontal($"F1 per label ({split}), sorted", "F1", names, m.PerClass.Select(c => c.F1).ToList());
        return ChartKit.Render(plot, 860, BarChart.HorizontalHeight(names.Count), $"per_label_f1_{split}", $"F1 per label, {split}",
            "Labels sorted by F1, best first; n is the number of gold examples (support).");
    }

    private static RenderedChart Roc(PredictionTable p, string split)
    {
        var curves = Enumerable.Range(0, p.LabelCount).Select(k => CurveMath.Roc(p.GoldColumn(k), p.Scores(k))).ToList();
        var plot = CurveChart.Roc(p.Labels, curves, split);
        var (w, h) = CurveChart.FigureSize(p.Labels);
        return ChartKit.Render(plot, w, h, $"roc_{split}", $"ROC curves, {split}",
            "One-vs-rest ROC curve per label from the predicted probabilities; legend sorted by AUC. The dashed diagonal is a random ranking. " +
            "Labels without both positive and negative examples have no curve.");
    }

    private static RenderedChart PrecisionRecall(PredictionTable p, string split)
    {
        var curves = Enumerable.Range(0, p.LabelCount).Select(k => CurveMath.PrecisionRecall(p.GoldColumn(k), p.Scores(k))).ToList();
        var prevalence = Enumerable.Range(0, p.LabelCount)
            .Select(k => p.Count == 0 ? 0 : p.GoldColumn(k).Count(g => g) / (double)p.Count).ToList();
        var plot = CurveChart.PrecisionRecall(p.Labels, curves, prevalence, split);
        var (w, h) = CurveChart.FigureSize(p.Labels);
        return ChartKit.Render(plot, w, h, $"pr_{split}", $"Precision-recall curves, {split}",
            "One-vs-rest precision-recall curve per label; AP is scikit-learn's average precision. " +
            "A dotted line at the label's prevalence is what random scores achieve.");
    }

    private static RenderedChart MetricBars(RunFolder run)
    {
        var plot = MetricBarsPlot(run);
        var (w, h) = BarChart.GroupedSize(BarMetricKeys(run).ToList(), run.Metrics.Count);
        return ChartKit.Render(plot, Math.Max(w, 900), h, "metrics_val_vs_test", "Validation vs test metrics",
            "Headline metrics on each evaluation split. A large gap between validation and test suggests overfitting to validation (e.g. through model selection).");
    }

    private static RenderedChart ClassDistribution(IReadOnlyList<string> labels, IReadOnlyList<SplitClassCounts> counts)
    {
        var plot = ClassDistributionPlot(labels, counts);
        var (w, h) = BarChart.GroupedSize(labels, counts.Count);
        return ChartKit.Render(plot, w, h, "class_distribution", "Class distribution per split",
            "Share of each split's examples that carry each label (multi-label shares can sum to more than 100%). Similar bars across splits mean a stratified split.");
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
            if (run.IsMultilabel)
                return p == null
                    ? ChartKit.MessagePlot($"Label co-occurrence ({split})", $"no predictions/{split}.csv")
                    : MatrixChart.CoOccurrence(labels, MatrixChart.CoOccurrenceFractions(p.Gold, p.Pred, p.Count, p.LabelCount), split);
            return ConfusionCounts(labels, metrics, p) is { } m
                ? MatrixChart.Confusion(labels, m, normalize: true, split)
                : ChartKit.MessagePlot($"Confusion matrix ({split})", $"no {split} split in this run");
        }
        var panels = new List<Plot>
        {
            MatrixPanel("val"),
            MatrixPanel("test"),
            run.Metrics.Count > 0 ? MetricBarsPlot(run) : ChartKit.MessagePlot("Validation vs test metrics", "no metrics/*.json"),
            counts.Count > 0 ? ClassDistributionPlot(labels, counts) : ChartKit.MessagePlot("Class distribution per split", "no class counts"),
        };
        var (mw, mh) = MatrixChart.FigureSize(labels);
        var (bw, bh) = BarChart.GroupedSize(labels, Math.Max(1, counts.Count));
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

    private static Plot ClassDistributionPlot(IReadOnlyList<string> labels, IReadOnlyList<SplitClassCounts> counts)
    {
        var series = new List<BarSeries>();
        foreach (var (split, c, examples) in counts)
        {
            // Share of the split's examples, so splits of different sizes compare directly.
            var values = labels.Select(l => c.TryGetValue(l, out var n) && examples > 0 ? (double?)(100.0 * n / examples) : 0.0).ToList();
            series.Add(new BarSeries($"{split} (n={examples.ToString(CultureInfo.InvariantCulture)})", values));
        }
        return BarChart.Grouped("Class distribution per split", "% of split", labels, series);
    }

    /// <summary>The confusion matrix from the metrics file, else counted from the predictions.</summary>
    internal static long[,]? ConfusionCounts(IReadOnlyList<string> labels, SplitMetrics? metrics, PredictionTable? predictions)
    {
        if (metrics?.ConfusionMatrix is { } m && m.GetLength(0) == labels.Count) return m;
        if (predictions == null || predictions.LabelCount != labels.Count) return null;
        int k = labels.Count;
        var counts = new long[k, k];
        for (int i = 0; i < predictions.Count; i++)
        {
            int g = -1, p = -1;
            for (int j = 0; j < k; j++)
            {
                if (predictions.IsGold(i, j)) g = j;
                if (predictions.IsPredicted(i, j)) p = j;
            }
            if (g >= 0 && p >= 0) counts[g, p]++;
        }
        return counts;
    }
}
