namespace Classify.Core.Metrics;

/// <summary>
/// The scalar metrics of <c>metrics/&lt;split&gt;.json</c>, defined once: their stable keys (used to pick the metric
/// that model selection optimises: <c>metric_for_best_model</c>, grid-search scoring), display names and directions,
/// and which of them summaries, run comparisons and the ledger show.
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
    /// <summary>
    /// Expected calibration error, 15 equal-width bins: top-label for single-label tasks, the mean of per-label binary ECE
    /// for multi-label (<see cref="Calibration.CalibrationError"/>).
    /// </summary>
    public const string Ece = "ece";
    /// <summary>Hamming loss (multi-label only).</summary>
    public const string HammingLoss = "hamming_loss";

    /// <summary>Every scalar metric, in file order: its key, the name tables and charts show, its direction.</summary>
    public static IReadOnlyList<MetricDefinition> Definitions { get; } =
    [
        new(Accuracy, "Accuracy", GreaterIsBetter: true),
        new(MacroF1, "Macro F1", GreaterIsBetter: true),
        new(MicroF1, "Micro F1", GreaterIsBetter: true),
        new(WeightedF1, "Weighted F1", GreaterIsBetter: true),
        new(SamplesF1, "Samples F1", GreaterIsBetter: true),
        new(MacroPrecision, "Macro precision", GreaterIsBetter: true),
        new(MacroRecall, "Macro recall", GreaterIsBetter: true),
        // Reports have always shown the keys below in lower case with spaces; kept so their output does not change.
        new(MicroPrecision, "micro precision", GreaterIsBetter: true),
        new(MicroRecall, "micro recall", GreaterIsBetter: true),
        new(WeightedPrecision, "weighted precision", GreaterIsBetter: true),
        new(WeightedRecall, "weighted recall", GreaterIsBetter: true),
        new(RocAucMacro, "ROC AUC (macro)", GreaterIsBetter: true),
        new(PrAucMacro, "PR AUC (macro)", GreaterIsBetter: true),
        new(LogLoss, "log loss", GreaterIsBetter: false),
        new(BrierScore, "brier score", GreaterIsBetter: false),
        new(Ece, "ECE", GreaterIsBetter: false),
        new(HammingLoss, "hamming loss", GreaterIsBetter: false),
    ];

    /// <summary>Every scalar key, in file order.</summary>
    public static IReadOnlyList<string> All { get; } = Definitions.Select(d => d.Key).ToArray();

    /// <summary>The headline metrics, in the order summaries, reports and charts show them.</summary>
    public static IReadOnlyList<string> Headline { get; } =
    [
        Accuracy, MacroPrecision, MacroRecall, MacroF1, MicroF1, WeightedF1, SamplesF1, RocAucMacro, PrAucMacro,
        LogLoss, BrierScore, Ece, HammingLoss,
    ];

    /// <summary>The metrics a run comparison shows for each split, in column order.</summary>
    public static IReadOnlyList<string> Compared { get; } = [Accuracy, MacroPrecision, MacroRecall, MacroF1];

    /// <summary>
    /// The metric columns of the ledger's runs table, in order: accuracy and the F1 averages on validation, and on
    /// test also the ranking metrics and the log loss.
    /// </summary>
    public static IReadOnlyList<SplitMetric> LedgerColumns { get; } =
    [
        .. new[] { Accuracy, MacroF1, MicroF1, WeightedF1 }.Select(k => new SplitMetric("val", k)),
        .. new[] { Accuracy, MacroF1, MicroF1, WeightedF1, RocAucMacro, PrAucMacro, LogLoss }.Select(k => new SplitMetric("test", k)),
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

    /// <summary>True when larger values are better (false for the losses: log_loss, brier_score, ece, hamming_loss).</summary>
    public static bool GreaterIsBetter(string key) => Definition(key).GreaterIsBetter;

    /// <summary>The name tables and charts show for a metric ("macro_f1" → "Macro F1").</summary>
    public static string DisplayName(string key) => Definition(key).DisplayName;

    /// <summary>The definition of a metric named as <see cref="Normalize"/> accepts.</summary>
    public static MetricDefinition Definition(string key)
    {
        var normalized = Normalize(key);
        return Definitions.First(d => d.Key == normalized);
    }
}

/// <summary>A scalar metric of <c>metrics/&lt;split&gt;.json</c>.</summary>
/// <param name="Key">The key in the file (<see cref="MetricKeys"/>).</param>
/// <param name="DisplayName">The name tables and charts show.</param>
/// <param name="GreaterIsBetter">True when larger values are better (false for the losses).</param>
public sealed record MetricDefinition(string Key, string DisplayName, bool GreaterIsBetter);

/// <summary>A metric on one split, such as the ledger column <c>test_macro_f1</c>.</summary>
/// <param name="Split">The split (val, test).</param>
/// <param name="Key">The metric key (<see cref="MetricKeys"/>).</param>
public sealed record SplitMetric(string Split, string Key)
{
    /// <summary>The column name: split and key joined by an underscore (<c>test_macro_f1</c>).</summary>
    public string Column => $"{Split}_{Key}";
}
