using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Metrics;

/// <summary>
/// The evaluation of one split: the content of <c>metrics/&lt;split&gt;.json</c> in a run folder. Every value is
/// computed as scikit-learn 1.2.1 computes it (see <see cref="ClassificationMetrics"/>), with
/// <c>zero_division=0</c> and over all labels of the schema, including labels absent from this split.
/// </summary>
/// <remarks>
/// ROC-AUC of a label is undefined (<see langword="null"/>) when the split has no positive or no negative example
/// of it, and its average precision is undefined when the split has no positive example; the macro averages
/// <see cref="RocAucMacro"/> and <see cref="PrAucMacro"/> run over the labels whose value is defined and are
/// <see langword="null"/> when none is. Binary tasks report the same keys as multi-class ones (macro over both labels).
/// </remarks>
public sealed class MetricReport
{
    /// <summary>Split name (<c>train</c>, <c>val</c>, <c>test</c>).</summary>
    [JsonPropertyName("split")] public required string Split { get; init; }

    /// <summary>Task kind.</summary>
    [JsonPropertyName("task"), JsonConverter(typeof(TaskKindJsonConverter))] public required TaskKind Task { get; init; }

    /// <summary>Label names in schema order.</summary>
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Number of evaluated examples.</summary>
    [JsonPropertyName("n")] public required int N { get; init; }

    /// <summary>Accuracy; for multi-label, subset accuracy (the whole label set must match).</summary>
    [JsonPropertyName("accuracy")] public required double Accuracy { get; init; }

    /// <summary>Macro-averaged F1.</summary>
    [JsonPropertyName("macro_f1")] public required double MacroF1 { get; init; }

    /// <summary>Micro-averaged F1 (equals accuracy for single-label tasks).</summary>
    [JsonPropertyName("micro_f1")] public required double MicroF1 { get; init; }

    /// <summary>Support-weighted F1.</summary>
    [JsonPropertyName("weighted_f1")] public required double WeightedF1 { get; init; }

    /// <summary>Sample-averaged F1; multi-label only (absent otherwise).</summary>
    [JsonPropertyName("samples_f1"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SamplesF1 { get; init; }

    /// <summary>Macro-averaged precision.</summary>
    [JsonPropertyName("macro_precision")] public required double MacroPrecision { get; init; }

    /// <summary>Macro-averaged recall.</summary>
    [JsonPropertyName("macro_recall")] public required double MacroRecall { get; init; }

    /// <summary>Micro-averaged precision.</summary>
    [JsonPropertyName("micro_precision")] public required double MicroPrecision { get; init; }

    /// <summary>Micro-averaged recall.</summary>
    [JsonPropertyName("micro_recall")] public required double MicroRecall { get; init; }

    /// <summary>Support-weighted precision.</summary>
    [JsonPropertyName("weighted_precision")] public required double WeightedPrecision { get; init; }

    /// <summary>Support-weighted recall.</summary>
    [JsonPropertyName("weighted_recall")] public required double WeightedRecall { get; init; }

    /// <summary>One-vs-rest ROC-AUC averaged over the labels where it is defined; null when it is defined for none.</summary>
    [JsonPropertyName("roc_auc_macro")] public double? RocAucMacro { get; init; }

    /// <summary>Average precision averaged over the labels with a positive example; null when there is none.</summary>
    [JsonPropertyName("pr_auc_macro")] public double? PrAucMacro { get; init; }

    /// <summary>Cross-entropy (natural log); for multi-label, binary cross-entropy averaged over rows and labels.</summary>
    [JsonPropertyName("log_loss")] public required double LogLoss { get; init; }

    /// <summary>
    /// Brier score: binary tasks use the probability of the second label (<c>brier_score_loss</c>); multi-class
    /// tasks Σₖ(onehotₖ − pₖ)² per row; multi-label the binary score averaged over labels. Always a mean over rows.
    /// </summary>
    [JsonPropertyName("brier_score")] public required double BrierScore { get; init; }

    /// <summary>Hamming loss; multi-label only (absent otherwise).</summary>
    [JsonPropertyName("hamming_loss"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? HammingLoss { get; init; }

    /// <summary>Per-label metrics keyed by label name, in schema order.</summary>
    [JsonPropertyName("per_class")] public required IReadOnlyDictionary<string, PerClassMetrics> PerClass { get; init; }

    /// <summary>Confusion matrix (single-label) or one 2×2 matrix per label (multi-label).</summary>
    [JsonPropertyName("confusion_matrix")] public required ConfusionMatrixReport ConfusionMatrix { get; init; }

    /// <summary>
    /// The value of a scalar metric by its key (<see cref="MetricKeys"/>; <c>eval_</c> prefixes and scikit-learn
    /// scoring names are accepted). Throws <see cref="ArgumentException"/> for an unknown key and
    /// <see cref="InvalidOperationException"/> when the metric has no value in this report (e.g. <c>samples_f1</c>
    /// of a multi-class task, or <c>roc_auc_macro</c> when no label has a defined AUC).
    /// </summary>
    public double Get(string key) =>
        TryGet(key, out double value) ? value
        : throw new InvalidOperationException($"Metric '{key}' has no value in the {Split} report of this {Task.ToName()} task.");

    /// <summary>Like <see cref="Get"/>, but returns false instead of throwing when the metric has no value.</summary>
    public bool TryGet(string key, out double value)
    {
        double? v = MetricKeys.Normalize(key) switch
        {
            MetricKeys.Accuracy => Accuracy,
            MetricKeys.MacroF1 => MacroF1,
            MetricKeys.MicroF1 => MicroF1,
            MetricKeys.WeightedF1 => WeightedF1,
            MetricKeys.SamplesF1 => SamplesF1,
            MetricKeys.MacroPrecision => MacroPrecision,
            MetricKeys.MacroRecall => MacroRecall,
            MetricKeys.MicroPrecision => MicroPrecision,
            MetricKeys.MicroRecall => MicroRecall,
            MetricKeys.WeightedPrecision => WeightedPrecision,
            MetricKeys.WeightedRecall => WeightedRecall,
            MetricKeys.RocAucMacro => RocAucMacro,
            MetricKeys.PrAucMacro => PrAucMacro,
            MetricKeys.LogLoss => LogLoss,
            MetricKeys.BrierScore => BrierScore,
            MetricKeys.HammingLoss => HammingLoss,
            _ => null,
        };
        value = v ?? double.NaN;
        return v.HasValue;
    }

    /// <summary>
    /// Computes the report of one split. <paramref name="goldLabelIndices"/> and <paramref name="predictedLabelIndices"/>
    /// hold label indices into <paramref name="schema"/> per example: exactly one each for binary/multi-class, any
    /// number (possibly none) for multi-label, where the prediction is the thresholded label set.
    /// <paramref name="probabilities"/> holds one row of <c>schema.Count</c> probabilities per example (softmax
    /// outputs for single-label tasks, independent sigmoid outputs for multi-label).
    /// </summary>
    public static MetricReport Compute(string split, LabelSchema schema, IReadOnlyList<int[]> goldLabelIndices,
        IReadOnlyList<int[]> predictedLabelIndices, double[][] probabilities)
    {
        ArgumentException.ThrowIfNullOrEmpty(split);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(goldLabelIndices);
        ArgumentNullException.ThrowIfNull(predictedLabelIndices);
        ArgumentNullException.ThrowIfNull(probabilities);
        int n = goldLabelIndices.Count, k = schema.Count;
        if (n == 0) throw new ArgumentException($"Cannot evaluate split '{split}': it has no examples.", nameof(goldLabelIndices));
        if (predictedLabelIndices.Count != n || probabilities.Length != n)
            throw new ArgumentException($"Got {n} gold rows, {predictedLabelIndices.Count} predictions and {probabilities.Length} probability rows.");
        for (int i = 0; i < n; i++)
            if (probabilities[i] is null || probabilities[i].Length != k)
                throw new ArgumentException($"Probability row {i} has {probabilities[i]?.Length ?? 0} values; the schema has {k} labels.", nameof(probabilities));

        var gold = ClassificationMetrics.ToIndicator(goldLabelIndices, k);
        var pred = ClassificationMetrics.ToIndicator(predictedLabelIndices, k);
        var perClass = ClassificationMetrics.PrecisionRecallFScoreSupport(gold, pred);
        var macro = ClassificationMetrics.PrecisionRecallFScore(gold, pred, MetricAverage.Macro);
        var micro = ClassificationMetrics.PrecisionRecallFScore(gold, pred, MetricAverage.Micro);
        var weighted = ClassificationMetrics.PrecisionRecallFScore(gold, pred, MetricAverage.Weighted);
        var rocAuc = ClassificationMetrics.RocAucScorePerLabel(gold, probabilities);
        var prAuc = ClassificationMetrics.AveragePrecisionScorePerLabel(gold, probabilities);

        var perClassReport = new Dictionary<string, PerClassMetrics>(k, StringComparer.Ordinal);
        for (int j = 0; j < k; j++)
            perClassReport[schema.Labels[j]] = new PerClassMetrics
            {
                Precision = perClass.Precision[j],
                Recall = perClass.Recall[j],
                F1 = perClass.F1[j],
                Support = perClass.Support[j],
                RocAuc = rocAuc[j],
                PrAuc = prAuc[j],
            };

        double accuracy, logLoss, brier;
        double? samplesF1 = null, hamming = null;
        ConfusionMatrixReport confusion;
        if (schema.IsMultilabel)
        {
            accuracy = ClassificationMetrics.AccuracyScore(gold, pred);
            samplesF1 = ClassificationMetrics.PrecisionRecallFScore(gold, pred, MetricAverage.Samples).F1;
            hamming = ClassificationMetrics.HammingLoss(gold, pred);
            logLoss = ClassificationMetrics.MeanBinaryLogLoss(gold, probabilities);
            brier = ClassificationMetrics.MeanBrierScore(gold, probabilities);
            confusion = new ConfusionMatrixReport { Labels = schema.Labels, PerLabel = ClassificationMetrics.MultilabelConfusionMatrix(gold, pred) };
        }
        else
        {
            var yTrue = SingleLabels(goldLabelIndices, "gold");
            var yPred = SingleLabels(predictedLabelIndices, "predicted");
            accuracy = ClassificationMetrics.AccuracyScore(yTrue, yPred);
            logLoss = ClassificationMetrics.LogLoss(yTrue, probabilities);
            brier = schema.Kind == TaskKind.Binary
                ? ClassificationMetrics.BrierScoreLoss(Array.ConvertAll(yTrue, y => y == 1), ClassificationMetrics.Column(probabilities, 1))
                : ClassificationMetrics.MulticlassBrierScore(yTrue, probabilities);
            confusion = new ConfusionMatrixReport { Labels = schema.Labels, Matrix = ClassificationMetrics.ConfusionMatrix(yTrue, yPred, k) };
        }

        return new MetricReport
        {
            Split = split,
            Task = schema.Kind,
            Labels = schema.Labels,
            N = n,
            Accuracy = accuracy,
            MacroF1 = macro.F1,
            MicroF1 = micro.F1,
            WeightedF1 = weighted.F1,
            SamplesF1 = samplesF1,
            MacroPrecision = macro.Precision,
            MacroRecall = macro.Recall,
            MicroPrecision = micro.Precision,
            MicroRecall = micro.Recall,
            WeightedPrecision = weighted.Precision,
            WeightedRecall = weighted.Recall,
            RocAucMacro = MeanOfDefined(rocAuc),
            PrAucMacro = MeanOfDefined(prAuc),
            LogLoss = logLoss,
            BrierScore = brier,
            HammingLoss = hamming,
            PerClass = perClassReport,
            ConfusionMatrix = confusion,
        };
    }

    /// <summary>Writes the report as <c>metrics/&lt;split&gt;.json</c> (atomically).</summary>
    public void Save(string path) => AtomicFile.WriteJson(path, this);

    /// <summary>Reads a report written by <see cref="Save"/>; malformed files raise <see cref="InputException"/>.</summary>
    public static MetricReport Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<MetricReport>(stream, AtomicFile.JsonOptions)
                ?? throw new InputException("The file holds JSON null, not a metric report.", path);
        }
        catch (JsonException e)
        {
            throw new InputException($"Not a valid metric report: {e.Message}", path, e.LineNumber + 1, e.Path, e);
        }
    }

    private static int[] SingleLabels(IReadOnlyList<int[]> labelSets, string what)
    {
        var y = new int[labelSets.Count];
        for (int i = 0; i < y.Length; i++)
        {
            if (labelSets[i].Length != 1)
                throw new ArgumentException($"Row {i} has {labelSets[i].Length} {what} labels; a single-label task needs exactly one.");
            y[i] = labelSets[i][0];
        }
        return y;
    }

    private static double? MeanOfDefined(double?[] values)
    {
        double sum = 0;
        int count = 0;
        foreach (var v in values)
            if (v is { } x) { sum += x; count++; }
        return count > 0 ? sum / count : null;
    }
}

/// <summary>The metrics of one label in a <see cref="MetricReport"/>.</summary>
public sealed class PerClassMetrics
{
    /// <summary>Precision (0 when the label is never predicted).</summary>
    [JsonPropertyName("precision")] public required double Precision { get; init; }

    /// <summary>Recall (0 when the label never occurs in the gold labels).</summary>
    [JsonPropertyName("recall")] public required double Recall { get; init; }

    /// <summary>F1 (0 when precision + recall = 0).</summary>
    [JsonPropertyName("f1")] public required double F1 { get; init; }

    /// <summary>Number of examples carrying the label in the gold labels.</summary>
    [JsonPropertyName("support")] public required int Support { get; init; }

    /// <summary>One-vs-rest ROC-AUC; null when the split has no positive or no negative example of the label.</summary>
    [JsonPropertyName("roc_auc")] public double? RocAuc { get; init; }

    /// <summary>Average precision (area under the PR curve); null when the split has no positive example of the label.</summary>
    [JsonPropertyName("pr_auc")] public double? PrAuc { get; init; }
}

/// <summary>
/// Confusion counts: for single-label tasks <see cref="Matrix"/> (rows = gold, columns = predicted); for multi-label
/// tasks <see cref="PerLabel"/>, one <c>[[tn, fp], [fn, tp]]</c> per label (scikit-learn <c>multilabel_confusion_matrix</c>).
/// Exactly one of the two is set.
/// </summary>
public sealed class ConfusionMatrixReport
{
    /// <summary>Label names, the order of rows/columns or of <see cref="PerLabel"/>.</summary>
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>K×K counts, rows = gold label, columns = predicted label (single-label tasks).</summary>
    [JsonPropertyName("matrix"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[][]? Matrix { get; init; }

    /// <summary>Per label <c>[[tn, fp], [fn, tp]]</c> (multi-label tasks).</summary>
    [JsonPropertyName("per_label"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[][][]? PerLabel { get; init; }
}

/// <summary>Writes <see cref="TaskKind"/> as its file name (<c>binary</c>, <c>multiclass</c>, <c>multilabel</c>).</summary>
internal sealed class TaskKindJsonConverter : JsonConverter<TaskKind>
{
    public override TaskKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var name = reader.GetString() ?? throw new JsonException("The task kind is null.");
        try { return TaskKindNames.Parse(name); }
        catch (FormatException e) { throw new JsonException(e.Message, e); }
    }

    public override void Write(Utf8JsonWriter writer, TaskKind value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToName());
}
