using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Classify.Reports.ModelCard;

/// <summary>
/// The facts a model card states, serialised as <c>model/model_card.json</c> and rendered as <c>MODEL_CARD.md</c>,
/// so the two files can never disagree.
/// </summary>
internal sealed record ModelCardFacts
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("run_id")] public string? RunId { get; init; }
    [JsonPropertyName("created_utc")] public DateTime? CreatedUtc { get; init; }
    [JsonPropertyName("classify_version")] public required string ClassifyVersion { get; init; }
    [JsonPropertyName("license")] public required string License { get; init; }
    [JsonPropertyName("language")] public string? Language { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("engine")] public string? Engine { get; init; }
    [JsonPropertyName("base_model")] public string? BaseModel { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<LabelFact> Labels { get; init; }
    [JsonPropertyName("data")] public DataFact? Data { get; init; }
    [JsonPropertyName("split_sizes")] public IReadOnlyDictionary<string, int>? SplitSizes { get; init; }
    [JsonPropertyName("class_counts")] public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>? ClassCounts { get; init; }
    [JsonPropertyName("seed")] public int? Seed { get; init; }
    [JsonPropertyName("preprocessing")] public required IReadOnlyList<string> Preprocessing { get; init; }
    [JsonPropertyName("decision_rule")] public string? DecisionRule { get; init; }
    [JsonPropertyName("hyperparameters")] public required IReadOnlyDictionary<string, string> Hyperparameters { get; init; }
    [JsonPropertyName("evaluation")] public required IReadOnlyList<EvaluationFact> Evaluation { get; init; }
    /// <summary>Monte-Carlo passes, calibration and selective prediction, or null when the run has none of them.</summary>
    [JsonPropertyName("uncertainty")] public RunData.UncertaintyDigest? Uncertainty { get; init; }
    [JsonPropertyName("intended_use")] public required IReadOnlyList<string> IntendedUse { get; init; }
    [JsonPropertyName("limitations")] public required IReadOnlyList<string> Limitations { get; init; }
    [JsonPropertyName("timings")] public IReadOnlyDictionary<string, double>? Timings { get; init; }
    [JsonPropertyName("versions")] public IReadOnlyDictionary<string, string>? Versions { get; init; }
}

/// <summary>A label and, when the config provides one, what it means.</summary>
internal sealed record LabelFact(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description);

/// <summary>The training data file.</summary>
internal sealed record DataFact(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("rows_read")] long RowsRead,
    [property: JsonPropertyName("rows_used")] long RowsUsed,
    [property: JsonPropertyName("empty_dropped")] long EmptyDropped,
    [property: JsonPropertyName("duplicates_dropped")] long DuplicatesDropped,
    [property: JsonPropertyName("conflicting_duplicates")] long ConflictingDuplicates);

/// <summary>Metrics on one split.</summary>
internal sealed record EvaluationFact
{
    [JsonPropertyName("split")] public required string Split { get; init; }
    [JsonPropertyName("n")] public long N { get; init; }
    [JsonPropertyName("metrics")] public required IReadOnlyDictionary<string, double?> Metrics { get; init; }
    /// <summary>Per-label scores: every label the metrics list, or the <see cref="ReportLimits.TableLabels"/> most frequent of them.</summary>
    [JsonPropertyName("per_class")] public required IReadOnlyList<PerClassFact> PerClass { get; init; }
    /// <summary>When <see cref="PerClass"/> is a selection: how many labels the metrics list (else absent).</summary>
    [JsonPropertyName("per_class_total"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PerClassTotal { get; init; }
    /// <summary>When <see cref="PerClass"/> is a selection: the CSV beside the card with every label's scores (else absent).</summary>
    [JsonPropertyName("per_class_csv"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PerClassCsv { get; init; }
    /// <summary>Single-label: rows = gold, columns = predicted, up to <see cref="ReportLimits.ChartLabels"/> labels. Null for multi-label and beyond that.</summary>
    [JsonPropertyName("confusion_matrix")] public long[][]? ConfusionMatrix { get; init; }
    /// <summary>Multi-label: per label [[tn, fp], [fn, tp]], up to <see cref="ReportLimits.ChartLabels"/> labels. Null for single-label and beyond that.</summary>
    [JsonPropertyName("per_label_confusion")] public long[][][]? PerLabelConfusion { get; init; }
}

/// <summary>One label's scores on one split.</summary>
internal sealed record PerClassFact(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] long Support);
