using System.Globalization;
using System.Text.Json.Serialization;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;

namespace Classify.Reports.RunData;

/// <summary>
/// What a run says about its uncertainty, in a few numbers: the package's Monte-Carlo passes, the calibration of the
/// last evaluated split (temperature, ECE/NLL/Brier before and after) and, per rejection unit, each ranker's AURC and
/// the metric kept at 0 %, 50 % and 90 % rejected. The model card and summary_report.txt both state it, so they agree.
/// </summary>
internal sealed record UncertaintyDigest
{
    [JsonPropertyName("mc_samples")] public int? McSamples { get; init; }
    [JsonPropertyName("calibration")] public CalibrationDigest? Calibration { get; init; }
    [JsonPropertyName("selective_prediction")] public IReadOnlyList<SelectiveDigest> SelectivePrediction { get; init; } = [];

    /// <summary>The rejected fractions whose kept metric is stated (the first, the middle and the last point of every curve).</summary>
    public static readonly IReadOnlyList<double> StatedFractions = [0.0, 0.5, 0.9];

    /// <summary>The digest of a run, or null when it has none of the three.</summary>
    public static UncertaintyDigest? Of(RunFolder run, ModelManifest? manifest)
    {
        string? split = RunFolder.EvaluationSplits.LastOrDefault(s => run.Metrics.ContainsKey(s) || run.Rejection.ContainsKey(s));
        CalibrationDigest? calibration = null;
        if (split is not null && run.Metrics.GetValueOrDefault(split)?.Calibration is { } c)
            calibration = new CalibrationDigest(split, c.TemperatureText, c.Before.Ece, c.After.Ece, c.Before.Nll, c.After.Nll, c.Before.Brier, c.After.Brier);
        var selective = new List<SelectiveDigest>();
        if (split is not null && run.Rejection.GetValueOrDefault(split) is { } sets)
            foreach (var set in sets)
            {
                // Macro-F1 where the curves have it (multi-label), else accuracy.
                int metric = set.MetricNames.ToList().IndexOf("macro_f1") is var f and >= 0 ? f : 0;
                var rankers = set.Curves.Select(curve => new RankerDigest(curve.Ranker.ToName(), curve.Aurc,
                    StatedFractions.Select(x => curve.Points.FirstOrDefault(p => Math.Abs(p.RejectedFraction - x) < 1e-9)?.Metrics[metric]).ToList())).ToList();
                selective.Add(new SelectiveDigest(split, set.Unit.ToName(), set.MetricNames[metric], rankers));
            }
        int? samples = manifest?.Uncertainty is { McSamples: > 1 } u ? u.McSamples : null;
        return samples is null && calibration is null && selective.Count == 0
            ? null
            : new UncertaintyDigest { McSamples = samples, Calibration = calibration, SelectivePrediction = selective };
    }

    /// <summary>Plain-text lines (no trailing newline), for summary_report.txt and the model card.</summary>
    public IReadOnlyList<string> Lines()
    {
        var inv = CultureInfo.InvariantCulture;
        string N(double? v) => v is { } x ? x.ToString("0.0000", inv) : "—";
        var lines = new List<string>();
        if (McSamples is { } n) lines.Add($"Monte-Carlo dropout: {n} passes per prediction by default (uncertainty.mc_samples)");
        if (Calibration is { } c)
            lines.Add($"Calibration ({c.Split}): temperature {c.Temperature}; ECE {N(c.EceBefore)} → {N(c.EceAfter)}, " +
                      $"NLL {N(c.NllBefore)} → {N(c.NllAfter)}, Brier {N(c.BrierBefore)} → {N(c.BrierAfter)}");
        foreach (var s in SelectivePrediction)
        {
            lines.Add($"Selective prediction ({s.Split}, by {s.Unit}, {s.Metric} of the kept at " +
                      string.Join(" / ", StatedFractions.Select(f => $"{f:0%} rejected")) + "; AURC, lower is better):");
            foreach (var r in s.Rankers)
                lines.Add($"  {r.Ranker,-19} AURC {N(r.Aurc)}   {string.Join(" → ", r.Kept.Select(N))}");
        }
        if (SelectivePrediction.Count > 0)
            lines.Add("  (epistemic is 0 for every item without Monte-Carlo passes or an ensemble: its order is then the input order)");
        return lines;
    }
}

/// <summary>Temperature scaling's effect on one split.</summary>
internal sealed record CalibrationDigest(
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("temperature")] string Temperature,
    [property: JsonPropertyName("ece_before")] double? EceBefore,
    [property: JsonPropertyName("ece_after")] double? EceAfter,
    [property: JsonPropertyName("nll_before")] double? NllBefore,
    [property: JsonPropertyName("nll_after")] double? NllAfter,
    [property: JsonPropertyName("brier_before")] double? BrierBefore,
    [property: JsonPropertyName("brier_after")] double? BrierAfter);

/// <summary>The rejection curves of one unit, stated by ranker.</summary>
internal sealed record SelectiveDigest(
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("rankers")] IReadOnlyList<RankerDigest> Rankers);

/// <summary>One ranker: its AURC and the metric kept at <see cref="UncertaintyDigest.StatedFractions"/>.</summary>
internal sealed record RankerDigest(
    [property: JsonPropertyName("ranker")] string Ranker,
    [property: JsonPropertyName("aurc")] double Aurc,
    [property: JsonPropertyName("kept")] IReadOnlyList<double?> Kept);
