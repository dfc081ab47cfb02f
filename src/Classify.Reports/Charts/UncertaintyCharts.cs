using System.Globalization;
using Classify.Core.Uncertainty;
using Classify.Reports.RunData;
using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// The charts of the report's Uncertainty section, per split: rejection curves of every ranker with AURC in the
/// legend (from <c>metrics/rejection_&lt;split&gt;.csv</c>), and from the uncertainty columns of
/// <c>predictions/&lt;split&gt;.csv</c> histograms of correct vs wrong predictions, probability vs epistemic
/// uncertainty for a few labels, and per-label distributions of aleatoric and epistemic uncertainty (box plots).
/// With one pass (epistemic 0 everywhere) the epistemic curve, panels and charts are left out.
/// </summary>
public static class UncertaintyCharts
{
    /// <summary>
    /// Labels drawn in the probability-vs-epistemic scatter: the most frequent gold labels of the split (as the
    /// emotion workflow draws three emotions), so that the panels stay legible.
    /// </summary>
    public const int ScatterLabels = 3;

    /// <summary>Labels drawn in the per-label box plots: the most frequent gold (multi-label) or predicted (single-label) labels.</summary>
    public const int BoxLabels = 8;

    /// <summary>The name prefixes of the charts this class makes (the report shows them in the Uncertainty section).</summary>
    internal static readonly string[] NamePrefixes = ["rejection_", "uncertainty_correct_wrong_", "epistemic_scatter_", "uncertainty_by_label_"];

    /// <summary>True for a chart of the Uncertainty section.</summary>
    internal static bool IsUncertaintyChart(string name) => NamePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    private const int Bins = 20;

    /// <summary>The chart jobs of one split.</summary>
    internal static IEnumerable<Func<RenderedChart>> Jobs(RunFolder run, string split)
    {
        bool singlePass = run.Predictions.TryGetValue(split, out var p) && p.Uncertainty is { SinglePass: true };
        if (run.Rejection.TryGetValue(split, out var sets) && sets.Count > 0)
            yield return () => Rejection(sets, split, singlePass);
        if (p?.Uncertainty is not { } u) yield break;
        yield return () => CorrectVsWrong(p, u, split);
        if (u.SinglePass) yield break;
        if (ScatterValues(p, u) != null) yield return () => EpistemicScatter(p, u, split);
        yield return () => ByLabel(p, u, split);
    }

    // ---- rejection curves ----------------------------------------------------------------------------------

    private static RenderedChart Rejection(IReadOnlyList<RejectionCurveSet> sets, string split, bool singlePass)
    {
        var panels = sets.Select(s => RejectionPanel(s, split, singlePass)).ToList();
        return ChartKit.RenderGrid(panels, 1, panels.Count, 760 * panels.Count, 620, $"rejection_{split}", $"Rejection curves, {split}",
            "Accuracy on the items kept when the most uncertain fraction is rejected, one line per ranker; AURC (area under the " +
            "risk–coverage curve, lower is better) in the legend. Oracle rejects every wrong item first (the best possible), random is " +
            "the baseline: a ranker helps where its curve rises above random." +
            (sets.Any(s => s.Unit == RejectionUnit.Decision) ? " Per decision: every (example, label) yes/no is an item." : "") +
            (singlePass ? " One pass: epistemic uncertainty is 0 everywhere, so its ranker (index order) is not drawn." : "") +
            $" The figures are in metrics/{RejectionCsv.FileName(split)}.");
    }

    private static Plot RejectionPanel(RejectionCurveSet set, string split, bool singlePass)
    {
        string metric = set.MetricNames[0];
        var plot = ChartKit.NewPlot($"Rejection, per {set.Unit.ToName()} ({split})", "Rejected fraction", metric == "accuracy" ? "Accuracy of kept items" : metric);
        var curves = set.Curves.Where(c => !(singlePass && c.Ranker == RejectionRanker.Epistemic)).ToList();
        for (int i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            var line = plot.Add.ScatterLine(c.Points.Select(x => x.RejectedFraction).ToArray(), c.Points.Select(x => x.Metrics[0]).ToArray());
            // The two references in grey and black, thinner and without markers (a dash pattern is not supported by Skia's SVG backend).
            bool reference = c.Ranker is RejectionRanker.Random or RejectionRanker.Oracle;
            line.Color = c.Ranker == RejectionRanker.Random ? Colors.Gray : c.Ranker == RejectionRanker.Oracle ? Colors.Black : ChartKit.SeriesColor(i, curves.Count);
            line.LineWidth = reference ? 1.5f : 2.2f;
            line.MarkerSize = reference ? 0 : 4;
            line.LegendText = $"{c.Ranker.ToName()} (AURC {c.Aurc.ToString("0.0000", CultureInfo.InvariantCulture)})";
        }
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperLeft; // the curves start low on the left and rise
        plot.Axes.SetLimitsX(0, RejectionCurves.RejectedFractions[^1]);
        return plot;
    }

    // ---- correct vs wrong ------------------------------------------------------------------------------------

    private static RenderedChart CorrectVsWrong(PredictionTable p, UncertaintyTable u, string split)
    {
        var correct = Enumerable.Range(0, p.Count).Select(i => SameSet(p.GoldLabels[i], p.PredictedLabels[i])).ToArray();
        var panels = new List<Plot> { Histogram("Predictive entropy", u.PredictiveEntropy, correct, split) };
        if (!u.SinglePass) panels.Add(Histogram("Epistemic", u.Epistemic, correct, split));
        string right = p.IsMultilabel ? "whose predicted label set equals the gold set" : "whose predicted label is the gold label";
        return ChartKit.RenderGrid(panels, 1, panels.Count, 700 * panels.Count, 520, $"uncertainty_correct_wrong_{split}",
            $"Uncertainty of correct and wrong predictions, {split}",
            $"Share of correct predictions (examples {right}) and of wrong ones per bin of the example's uncertainty (nats). " +
            "Well-separated histograms mean the uncertainty flags errors; the rejection curves measure how well." +
            (u.SinglePass ? " One pass: epistemic uncertainty is 0 everywhere (no MC dropout or ensemble), so only the predictive entropy (all aleatoric) is drawn." : ""));
    }

    private static bool SameSet(int[] a, int[] b) => a.Length == b.Length && a.All(b.Contains);

    private static Plot Histogram(string quantity, double[] values, bool[] correct, string split)
    {
        var plot = ChartKit.NewPlot($"{quantity} ({split})", $"{quantity} (nats)", "% of the group");
        // Bins span the observed range (multi-label entropies sum over labels and sit far from 0).
        double min = values.Length == 0 ? 0 : values.Min(), max = values.Length == 0 ? 1 : values.Max();
        if (max - min < 1e-9) max = min + 1e-9;
        double width = (max - min) / Bins;
        for (int g = 0; g < 2; g++)
        {
            bool wanted = g == 0;
            var counts = new double[Bins];
            int total = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (correct[i] != wanted) continue;
                counts[Math.Clamp((int)((values[i] - min) / width), 0, Bins - 1)]++;
                total++;
            }
            // A step outline per group so the two overlap legibly.
            var xs = new List<double>();
            var ys = new List<double>();
            for (int b = 0; b < Bins; b++)
            {
                double share = total == 0 ? 0 : 100 * counts[b] / total;
                xs.Add(min + b * width); ys.Add(share);
                xs.Add(min + (b + 1) * width); ys.Add(share);
            }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.Color = wanted ? ChartKit.SeriesColor(2, 10) : ChartKit.SeriesColor(3, 10);
            line.LineWidth = 2.2f;
            line.MarkerSize = 0;
            line.FillY = true;
            line.FillYColor = line.Color.WithAlpha(0.2);
            line.LegendText = $"{(wanted ? "correct" : "wrong")} (n={total.ToString("N0", CultureInfo.InvariantCulture)})";
        }
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.Axes.SetLimitsY(0, double.NaN);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    // ---- probability vs epistemic --------------------------------------------------------------------------

    /// <summary>The per-label uncertainty drawn against each label's probability: epistemic_&lt;label&gt; (multi-label), else std_&lt;label&gt;.</summary>
    private static (double[] Values, string Name)? ScatterValues(PredictionTable p, UncertaintyTable u) =>
        u.LabelEpistemic is { } e ? (e, "Epistemic of the label (nats)") : u.Std is { } s ? (s, "Std of the label's probability over passes") : null;

    /// <summary>The labels the scatter draws: the <see cref="ScatterLabels"/> most frequent gold labels.</summary>
    internal static int[] ScatterSelection(PredictionTable p) =>
        ReportLimits.Top(Array.ConvertAll(p.GoldCounts(), c => (long)c), Math.Min(ScatterLabels, ReportLimits.ChartLabels));

    private static RenderedChart EpistemicScatter(PredictionTable p, UncertaintyTable u, string split)
    {
        var (values, yName) = ScatterValues(p, u)!.Value;
        var keep = ScatterSelection(p);
        var panels = new List<Plot>();
        foreach (int k in keep)
        {
            var plot = ChartKit.NewPlot($"{ChartKit.Shorten(p.Labels[k], 28)} ({split})", $"P({ChartKit.Shorten(p.Labels[k], 28)})", yName);
            var y = UncertaintyTable.Column(values, p.LabelCount, k);
            var x = p.Scores(k);
            for (int g = 0; g < 2; g++)
            {
                bool present = g == 1;
                var idx = Enumerable.Range(0, p.Count).Where(i => p.IsGold(i, k) == present).ToArray();
                var dots = plot.Add.ScatterPoints(idx.Select(i => x[i]).ToArray(), idx.Select(i => y[i]).ToArray());
                dots.Color = (present ? ChartKit.SeriesColor(3, 10) : ChartKit.SeriesColor(0, 10)).WithAlpha(present ? 0.7 : 0.35);
                dots.MarkerSize = 4;
                dots.LegendText = present ? $"gold has it (n={idx.Length.ToString("N0", CultureInfo.InvariantCulture)})" : $"gold lacks it (n={idx.Length.ToString("N0", CultureInfo.InvariantCulture)})";
            }
            plot.Legend.IsVisible = true;
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.Axes.SetLimitsX(0, 1);
            panels.Add(plot);
        }
        return ChartKit.RenderGrid(panels, 1, panels.Count, 560 * panels.Count, 520, $"epistemic_scatter_{split}",
            $"Probability vs epistemic uncertainty, {split}",
            $"Each example's probability of the label against the label's {(u.LabelEpistemic != null ? "epistemic uncertainty (mutual information of its yes/no)" : "std over the passes")}; " +
            "points are coloured by whether the gold labels include it. The model is least sure of itself between the extremes; " +
            $"a high point near 0 or 1 is a confident-looking prediction the passes disagree on. Drawn for the {keep.Length} most frequent gold labels" +
            (keep.Length < p.LabelCount ? $" of {p.LabelCount:N0}." : "."));
    }

    // ---- per-label distributions ----------------------------------------------------------------------------

    /// <summary>The labels the box plots draw: the <see cref="BoxLabels"/> most frequent gold labels (multi-label) or predicted labels (single-label).</summary>
    internal static int[] BoxSelection(PredictionTable p) =>
        ReportLimits.Top(Array.ConvertAll(p.IsMultilabel ? p.GoldCounts() : p.PredictedCounts(), c => (long)c), Math.Min(BoxLabels, ReportLimits.ChartLabels));

    private static RenderedChart ByLabel(PredictionTable p, UncertaintyTable u, string split)
    {
        var keep = BoxSelection(p);
        var names = keep.Select(k => p.Labels[k]).ToList();
        bool perLabel = u.LabelAleatoric != null && u.LabelEpistemic != null;
        double[] Values(bool epistemic, int k)
        {
            if (perLabel) return UncertaintyTable.Column(epistemic ? u.LabelEpistemic! : u.LabelAleatoric!, p.LabelCount, k);
            var source = epistemic ? u.Epistemic : u.Aleatoric;
            return Enumerable.Range(0, p.Count).Where(i => p.IsPredicted(i, k)).Select(i => source[i]).ToArray();
        }
        var panels = new[] { false, true }.Select(epistemic =>
        {
            var title = $"{(epistemic ? "Epistemic" : "Aleatoric")} per label ({split})";
            return Boxes(title, epistemic ? "Epistemic (nats)" : "Aleatoric (nats)", names, keep.Select(k => Values(epistemic, k)).ToList(), epistemic ? 1 : 0);
        }).ToList();
        return ChartKit.RenderGrid(panels, 1, 2, 1300, 560, $"uncertainty_by_label_{split}", $"Aleatoric and epistemic uncertainty per label, {split}",
            (perLabel
                ? "Box plots of each label's own aleatoric and epistemic parts over every example (multi-label: the entropy of the label's yes/no split into the two parts)"
                : "Box plots of the example's aleatoric and epistemic uncertainty, grouped by predicted label") +
            ": the box spans the quartiles with the median inside, whiskers the 5th and 95th percentiles. High aleatoric = the text is ambiguous for that label; " +
            $"high epistemic = the model has not learnt it well (more data would help). Drawn for the {keep.Length} labels with the most " +
            (p.IsMultilabel ? "gold" : "predicted") + " examples" + (keep.Length < p.LabelCount ? $" of {p.LabelCount:N0}." : "."));
    }

    private static Plot Boxes(string title, string yLabel, IReadOnlyList<string> names, IReadOnlyList<double[]> values, int colour)
    {
        var plot = ChartKit.NewPlot(title, null, yLabel);
        for (int k = 0; k < names.Count; k++)
        {
            var v = values[k].Order().ToArray();
            if (v.Length == 0) continue;
            var box = new Box
            {
                Position = k,
                BoxMin = Quantile(v, 0.25),
                BoxMax = Quantile(v, 0.75),
                BoxMiddle = Quantile(v, 0.5),
                WhiskerMin = Quantile(v, 0.05),
                WhiskerMax = Quantile(v, 0.95),
            };
            var added = plot.Add.Box(box);
            added.FillColor = ChartKit.SeriesColor(colour, 10).WithAlpha(0.5);
        }
        ChartKit.CategoryTicks(plot.Axes.Bottom, names);
        plot.Axes.SetLimitsX(-0.6, names.Count - 0.4);
        return plot;
    }

    /// <summary>Linear-interpolation quantile of sorted values (NumPy's default).</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }
}
