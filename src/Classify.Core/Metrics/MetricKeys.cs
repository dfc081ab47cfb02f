namespace Classify.Core.Metrics;

/// <summary>
/// The stable names of the scalar metrics in <c>metrics/&lt;split&gt;.json</c>, used to pick the metric that
/// model selection optimises (<c>metric_for_best_model</c>, grid-search scoring).
/// </summary>
public static class MetricKeys
{
    /// <summary>Accuracy (subset accuracy for multi-label).</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Macro-averaged F1.</summary>
    public const string MacroF1 = "macro_f1";
    /// <summary>Micro-averaged F1.</summary>
    public const string MicroF1 = "micro_f1";
    /// <summary>Support-weighted F1.</summary>
    public const string WeightedF1 = "weighted_f1";
    /// <summary>Sample-averaged F1 (multi-label only).</summary>
    public const string SamplesF1 = "samples_f1";
    /// <summary>Macro-averaged precision.</summary>
    public const string MacroPrecision = "macro_precision";
    /// <summary>Macro-averaged recall.</summary>
    public const string MacroRecall = "macro_recall";
    /// <summary>Micro-averaged precision.</summary>
    public const string MicroPrecision = "micro_precision";
    /// <summary>Micro-averaged recall.</summary>
    public const string MicroRecall = "micro_recall";
    /// <summary>Support-weighted precision.</summary>
    public const string WeightedPrecision = "weighted_precision";
    /// <summary>Support-weighted recall.</summary>
    public const string WeightedRecall = "weighted_recall";
    /// <summary>One-vs-rest ROC-AUC, macro over labels where it is defined.</summary>
    public const string RocAucMacro = "roc_auc_macro";
    /// <summary>Average precision (area under the PR curve), macro over labels where it is defined.</summary>
    public const string PrAucMacro = "pr_auc_macro";
    /// <summary>Cross-entropy (mean binary cross-entropy over labels for multi-label).</summary>
    public const string LogLoss = "log_loss";
    /// <summary>Brier score.</summary>
    public const string BrierScore = "brier_score";
    /// <summary>Hamming loss (multi-label only).</summary>
    public const string HammingLoss = "hamming_loss";

    /// <summary>Every scalar key, in file order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Accuracy, MacroF1, MicroF1, WeightedF1, SamplesF1, MacroPrecision, MacroRecall, MicroPrecision, MicroRecall,
        WeightedPrecision, WeightedRecall, RocAucMacro, PrAucMacro, LogLoss, BrierScore, HammingLoss,
    ];

    // scikit-learn scoring names users already type in GridSearchCV(scoring=...).
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["f1_macro"] = MacroF1, ["f1_micro"] = MicroF1, ["f1_weighted"] = WeightedF1, ["f1_samples"] = SamplesF1,
        ["precision_macro"] = MacroPrecision, ["precision_micro"] = MicroPrecision, ["precision_weighted"] = WeightedPrecision,
        ["recall_macro"] = MacroRecall, ["recall_micro"] = MicroRecall, ["recall_weighted"] = WeightedRecall,
        ["roc_auc"] = RocAucMacro, ["roc_auc_ovr"] = RocAucMacro, ["average_precision"] = PrAucMacro, ["pr_auc"] = PrAucMacro,
        ["neg_log_loss"] = LogLoss, ["neg_brier_score"] = BrierScore, ["loss"] = LogLoss,
    };

    /// <summary>
    /// Maps a user-supplied metric name to its key: case-insensitive, an <c>eval_</c> prefix (Hugging Face
    /// <c>metric_for_best_model</c>) is ignored, and scikit-learn scoring names (<c>f1_macro</c>, <c>roc_auc_ovr</c>,
    /// <c>neg_log_loss</c>, …) are accepted. Throws <see cref="ArgumentException"/> listing the valid keys otherwise.
    /// </summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant().Replace('-', '_');
        if (key.StartsWith("eval_", StringComparison.Ordinal)) key = key["eval_".Length..];
        if (Aliases.TryGetValue(key, out var alias)) key = alias;
        if (!All.Contains(key))
            throw new ArgumentException($"Unknown metric '{name}'. Expected one of: {string.Join(", ", All)}.", nameof(name));
        return key;
    }

    /// <summary>True when larger values are better (false for the losses: log_loss, brier_score, hamming_loss).</summary>
    public static bool GreaterIsBetter(string key) => Normalize(key) is not (LogLoss or BrierScore or HammingLoss);
}
