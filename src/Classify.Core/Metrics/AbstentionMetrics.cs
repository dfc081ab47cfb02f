using System.Text.Json.Serialization;
using Classify.Core.Labels;

namespace Classify.Core.Metrics;

/// <summary>
/// The <c>abstention</c> object of <c>metrics/&lt;split&gt;.json</c>, for a model with an abstain rule: how many examples
/// the rule kept and how good the kept predictions are. The report's other metrics are those of every example, with the
/// decision the model would have made; these are the selective ones.
/// </summary>
public sealed record AbstentionMetrics
{
    /// <summary>The abstain threshold applied (<see cref="Prediction.AbstainRule.Threshold"/>).</summary>
    [JsonPropertyName("threshold")] public required double Threshold { get; init; }
    /// <summary>The fraction of examples kept (not abstained).</summary>
    [JsonPropertyName("coverage")] public required double Coverage { get; init; }
    /// <summary>Examples kept.</summary>
    [JsonPropertyName("kept")] public required int Kept { get; init; }
    /// <summary>Examples abstained.</summary>
    [JsonPropertyName("abstained")] public required int Abstained { get; init; }
    /// <summary>Accuracy of the kept examples (multi-label: subset accuracy); null when none is kept.</summary>
    [JsonPropertyName("selective_accuracy")] public double? SelectiveAccuracy { get; init; }
    /// <summary>Macro-F1 of the kept examples over every label of the schema (zero_division = 0); null when none is kept.</summary>
    [JsonPropertyName("selective_macro_f1")] public double? SelectiveMacroF1 { get; init; }

    /// <summary>The abstention metrics of a split from its gold and predicted label sets and which examples were abstained.</summary>
    /// <exception cref="ArgumentException">No example, or lists of different lengths.</exception>
    public static AbstentionMetrics Compute(LabelSchema schema, IReadOnlyList<int[]> gold, IReadOnlyList<int[]> predicted, IReadOnlyList<bool> abstained,
        double threshold)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(abstained);
        int n = gold.Count;
        if (n == 0) throw new ArgumentException("No example.", nameof(gold));
        if (predicted.Count != n || abstained.Count != n)
            throw new ArgumentException($"{n} gold rows, {predicted.Count} predictions and {abstained.Count} abstain flags.", nameof(abstained));
        var kept = Enumerable.Range(0, n).Where(i => !abstained[i]).ToArray();
        double? accuracy = null, macroF1 = null;
        if (kept.Length > 0)
        {
            var keptGold = ClassificationMetrics.ToIndicator(kept.Select(i => gold[i]).ToArray(), schema.Count);
            var keptPredicted = ClassificationMetrics.ToIndicator(kept.Select(i => predicted[i]).ToArray(), schema.Count);
            accuracy = ClassificationMetrics.AccuracyScore(keptGold, keptPredicted);
            macroF1 = ClassificationMetrics.PrecisionRecallFScore(keptGold, keptPredicted, MetricAverage.Macro).F1;
        }
        return new AbstentionMetrics
        {
            Threshold = threshold, Coverage = (double)kept.Length / n, Kept = kept.Length, Abstained = n - kept.Length,
            SelectiveAccuracy = accuracy, SelectiveMacroF1 = macroF1,
        };
    }
}
