using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.Calibration;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Metrics;

/// <summary>
/// The evaluation of one split: the content of <c>metrics/&lt;split&gt;.json</c> in a run folder. Every value is
/// computed as scikit-learn 1.2.1 computes it (see <see cref="ClassificationMetrics"/>), with
/// <c>zero_division=0</c> and over all labels of the schema, including labels absent from this split.
/// </summary>
/// <remarks>
/// <para>The file stays proportional to the labels that occur, so schemas of thousands of labels stay cheap:
/// <see cref="PerClass"/> lists only labels with a gold or a predicted example (any other label scores 0 with
/// support 0 and undefined AUCs: <see cref="ForLabel"/>), and above <see cref="ConfusionMatrixReport.DenseLimit"/>
/// labels the single-label confusion matrix is stored as its non-zero cells. <see cref="Save"/> also writes the
/// full per-label table and the non-zero confusion cells as CSV files beside the JSON.</para>
/// <para>ROC-AUC of a label is undefined (<see langword="null"/>) when the split has no positive or no negative example
/// of it, and its average precision is undefined when the split has no positive example; the macro averages
/// <see cref="RocAucMacro"/> and <see cref="PrAucMacro"/> run over the labels whose value is defined and are
/// <see langword="null"/> when none is. Binary tasks report the same keys as multi-class ones (macro over both labels).</para>
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

    /// <summary>
    /// Expected calibration error with <see cref="CalibrationError.DefaultBinCount"/> equal-width bins: top-label for
    /// single-label tasks, the mean over labels of each label's binary ECE for multi-label (<see cref="CalibrationError"/>).
    /// Null only in files written before it existed.
    /// </summary>
    [JsonPropertyName("ece"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Ece { get; init; }

    /// <summary>Hamming loss; multi-label only (absent otherwise).</summary>
    [JsonPropertyName("hamming_loss"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? HammingLoss { get; init; }

    /// <summary>
    /// The temperature fitted on validation and the scores before and after it; present only when the run calibrated
    /// (<c>calibration.method: temperature</c>).
    /// </summary>
    [JsonPropertyName("calibration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CalibrationSummary? Calibration { get; init; }

    /// <summary>
    /// Coverage and the metrics of the kept examples when the model has an abstain rule (<c>decision.abstain</c>);
    /// absent otherwise. Every other metric of the report is computed on all examples.
    /// </summary>
    [JsonPropertyName("abstention"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AbstentionMetrics? Abstention { get; init; }

    /// <summary>
    /// Per-label metrics keyed by label name, in schema order, for the labels with at least one gold or predicted
    /// example in this split; every other label has precision, recall and F1 0, support 0 and no AUC (<see cref="ForLabel"/>).
    /// </summary>
    [JsonPropertyName("per_class")] public required IReadOnlyDictionary<string, PerClassMetrics> PerClass { get; init; }

    /// <summary>Confusion matrix (single-label: dense up to <see cref="ConfusionMatrixReport.DenseLimit"/> labels, else sparse) or one 2×2 matrix per label (multi-label).</summary>
    [JsonPropertyName("confusion_matrix")] public required ConfusionMatrixReport ConfusionMatrix { get; init; }

    /// <summary>
    /// The metrics of one label of the schema: its <see cref="PerClass"/> entry, or for a label with no gold and no
    /// predicted example in this split (not listed there), zeros with undefined AUCs. Throws
    /// <see cref="ArgumentException"/> for a name that is not a label of the schema.
    /// </summary>
    public PerClassMetrics ForLabel(string label)
    {
        if (PerClass.TryGetValue(label, out var metrics)) return metrics;
        if (!Labels.Contains(label)) throw new ArgumentException($"'{label}' is not a label of this report.", nameof(label));
        return PerClassMetrics.Absent;
    }

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
            MetricKeys.Ece => Ece,
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
    /// outputs for single-label tasks, independent sigmoid outputs for multi-label). <paramref name="calibration"/> is
    /// stored as <see cref="Calibration"/> when the run fitted a temperature, <paramref name="abstention"/> as
    /// <see cref="Abstention"/> when the model abstains.
    /// </summary>
    public static MetricReport Compute(string split, LabelSchema schema, IReadOnlyList<int[]> goldLabelIndices,
        IReadOnlyList<int[]> predictedLabelIndices, double[][] probabilities, CalibrationSummary? calibration = null,
        AbstentionMetrics? abstention = null)
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

        var predictedCount = new int[k];
        foreach (var set in predictedLabelIndices)
            foreach (int j in set) predictedCount[j]++;
        var perClassReport = new Dictionary<string, PerClassMetrics>(StringComparer.Ordinal);
        for (int j = 0; j < k; j++)
        {
            // A label with neither gold nor predicted examples scores 0 with undefined AUCs: not listed (ForLabel).
            if (perClass.Support[j] == 0 && predictedCount[j] == 0) continue;
            perClassReport[schema.Labels[j]] = new PerClassMetrics
            {
                Precision = perClass.Precision[j],
                Recall = perClass.Recall[j],
                F1 = perClass.F1[j],
                Support = perClass.Support[j],
                RocAuc = rocAuc[j],
                PrAuc = prAuc[j],
            };
        }

        double accuracy;
        double? samplesF1 = null, hamming = null;
        ConfusionMatrixReport confusion;
        if (schema.IsMultilabel)
        {
            accuracy = ClassificationMetrics.AccuracyScore(gold, pred);
            samplesF1 = ClassificationMetrics.PrecisionRecallFScore(gold, pred, MetricAverage.Samples).F1;
            hamming = ClassificationMetrics.HammingLoss(gold, pred);
            confusion = new ConfusionMatrixReport { Labels = schema.Labels, PerLabel = ClassificationMetrics.MultilabelConfusionMatrix(gold, pred) };
        }
        else
        {
            var yTrue = SingleLabels(goldLabelIndices, "gold");
            var yPred = SingleLabels(predictedLabelIndices, "predicted");
            accuracy = ClassificationMetrics.AccuracyScore(yTrue, yPred);
            confusion = ConfusionMatrixReport.SingleLabel(schema.Labels, ClassificationMetrics.SparseConfusionMatrix(yTrue, yPred, k));
        }
        double logLoss = ComputeLogLoss(schema, goldLabelIndices, probabilities);
        double brier = ComputeBrierScore(schema, goldLabelIndices, probabilities);

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
            Ece = CalibrationError.Compute(schema, goldLabelIndices, probabilities),
            HammingLoss = hamming,
            Calibration = calibration,
            Abstention = abstention,
            PerClass = perClassReport,
            ConfusionMatrix = confusion,
        };
    }

    /// <summary>
    /// The <c>log_loss</c> of this report: cross-entropy (natural log) of the gold label for single-label tasks, binary
    /// cross-entropy averaged over rows and labels for multi-label tasks (scikit-learn's clipping, see
    /// <see cref="ClassificationMetrics.LogLoss(int[], double[][])"/>). Temperature scaling minimises it.
    /// </summary>
    public static double ComputeLogLoss(LabelSchema schema, IReadOnlyList<int[]> goldLabelIndices, double[][] probabilities)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(goldLabelIndices);
        return schema.IsMultilabel
            ? ClassificationMetrics.MeanBinaryLogLoss(ClassificationMetrics.ToIndicator(goldLabelIndices, schema.Count), probabilities)
            : ClassificationMetrics.LogLoss(SingleLabels(goldLabelIndices, "gold"), probabilities);
    }

    /// <summary>The <c>brier_score</c> of this report (see <see cref="BrierScore"/> for the definition per task).</summary>
    public static double ComputeBrierScore(LabelSchema schema, IReadOnlyList<int[]> goldLabelIndices, double[][] probabilities)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(goldLabelIndices);
        if (schema.IsMultilabel)
            return ClassificationMetrics.MeanBrierScore(ClassificationMetrics.ToIndicator(goldLabelIndices, schema.Count), probabilities);
        var yTrue = SingleLabels(goldLabelIndices, "gold");
        return schema.Kind == TaskKind.Binary
            ? ClassificationMetrics.BrierScoreLoss(Array.ConvertAll(yTrue, y => y == 1), ClassificationMetrics.Column(probabilities, 1))
            : ClassificationMetrics.MulticlassBrierScore(yTrue, probabilities);
    }

    /// <summary>
    /// Writes the report as <c>metrics/&lt;split&gt;.json</c> and, beside it, <c>&lt;split&gt;_per_class.csv</c> (every label
    /// of the schema, <see cref="PerClassCsvPath"/>) and for single-label tasks <c>&lt;split&gt;_confusion.csv</c> (the
    /// non-zero cells, <see cref="ConfusionCsvPath"/>); each file atomically, the JSON last.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteText(PerClassCsvPath(path), w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(PerClassCsvColumns);
            foreach (var label in Labels)
            {
                var m = ForLabel(label);
                csv.WriteValues(label, m.Precision, m.Recall, m.F1, m.Support, m.RocAuc, m.PrAuc);
            }
        });
        if (!ConfusionMatrix.IsMultilabel)
            AtomicFile.WriteText(ConfusionCsvPath(path), w =>
            {
                var csv = new CsvWriter(w);
                csv.WriteRow(ConfusionCsvColumns);
                foreach (var (gold, predicted, count) in ConfusionMatrix.NonZeroCells())
                    csv.WriteValues(ConfusionMatrix.Labels[gold], ConfusionMatrix.Labels[predicted], count);
            });
        AtomicFile.WriteJson(path, this);
    }

    /// <summary>Columns of <c>&lt;split&gt;_per_class.csv</c>: one row per label of the schema, in schema order (empty AUC = undefined).</summary>
    public static readonly IReadOnlyList<string> PerClassCsvColumns = ["label", "precision", "recall", "f1", "support", "roc_auc", "pr_auc"];

    /// <summary>Columns of <c>&lt;split&gt;_confusion.csv</c>: one row per non-zero cell, ordered by gold then predicted label (schema order).</summary>
    public static readonly IReadOnlyList<string> ConfusionCsvColumns = ["gold", "predicted", "count"];

    /// <summary>The per-label CSV written beside a metrics JSON: <c>metrics/test.json</c> → <c>metrics/test_per_class.csv</c>.</summary>
    public static string PerClassCsvPath(string metricsJsonPath) => Sibling(metricsJsonPath, "_per_class.csv");

    /// <summary>The confusion-cell CSV written beside a single-label metrics JSON: <c>metrics/test.json</c> → <c>metrics/test_confusion.csv</c>.</summary>
    public static string ConfusionCsvPath(string metricsJsonPath) => Sibling(metricsJsonPath, "_confusion.csv");

    private static string Sibling(string path, string suffix) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + suffix);

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

    /// <summary>The scores of a label with no gold and no predicted example: zeros, support 0, undefined AUCs.</summary>
    public static PerClassMetrics Absent { get; } = new() { Precision = 0, Recall = 0, F1 = 0, Support = 0 };
}

/// <summary>
/// Confusion counts. Single-label tasks: up to <see cref="DenseLimit"/> labels the K×K <see cref="Matrix"/> (rows = gold,
/// columns = predicted), above it only the non-zero <see cref="Cells"/> (a dense matrix of thousands of labels is
/// mostly zeros and grows with K²). Multi-label tasks: <see cref="PerLabel"/>, one <c>[[tn, fp], [fn, tp]]</c> per
/// label (scikit-learn <c>multilabel_confusion_matrix</c>). Exactly one of the three is set; each inner array is
/// written on one line.
/// </summary>
public sealed class ConfusionMatrixReport
{
    /// <summary>The largest label count whose single-label confusion matrix is stored dense (<see cref="Matrix"/>).</summary>
    public const int DenseLimit = 100;

    /// <summary>Label names, the order of rows/columns, of the indices in <see cref="Cells"/>, or of <see cref="PerLabel"/>.</summary>
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>K×K counts, rows = gold label, columns = predicted label (single-label tasks up to <see cref="DenseLimit"/> labels).</summary>
    [JsonPropertyName("matrix"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(CompactRowsConverter))]
    public int[][]? Matrix { get; init; }

    /// <summary>
    /// The non-zero cells as <c>[gold index, predicted index, count]</c>, ordered by gold then predicted index
    /// (single-label tasks above <see cref="DenseLimit"/> labels); every other cell is 0.
    /// </summary>
    [JsonPropertyName("cells"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(CompactRowsConverter))]
    public int[][]? Cells { get; init; }

    /// <summary>Per label <c>[[tn, fp], [fn, tp]]</c> (multi-label tasks).</summary>
    [JsonPropertyName("per_label"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(CompactMatricesConverter))]
    public int[][][]? PerLabel { get; init; }

    /// <summary>True when this holds per-label 2×2 matrices (multi-label task).</summary>
    [JsonIgnore] public bool IsMultilabel => PerLabel != null;

    /// <summary>
    /// A single-label confusion matrix from its non-zero <c>[gold, predicted, count]</c> cells: dense up to
    /// <see cref="DenseLimit"/> labels, sparse above.
    /// </summary>
    public static ConfusionMatrixReport SingleLabel(IReadOnlyList<string> labels, int[][] cells)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(cells);
        int k = labels.Count;
        if (k > DenseLimit) return new ConfusionMatrixReport { Labels = labels, Cells = cells };
        var matrix = new int[k][];
        for (int i = 0; i < k; i++) matrix[i] = new int[k];
        foreach (var c in cells) matrix[c[0]][c[1]] += c[2];
        return new ConfusionMatrixReport { Labels = labels, Matrix = matrix };
    }

    /// <summary>The non-zero cells of a single-label matrix (dense or sparse), ordered by gold then predicted index; none for multi-label.</summary>
    public IEnumerable<(int Gold, int Predicted, int Count)> NonZeroCells()
    {
        if (Cells != null)
        {
            foreach (var c in Cells)
                if (c[2] != 0) yield return (c[0], c[1], c[2]);
        }
        else if (Matrix != null)
        {
            for (int i = 0; i < Matrix.Length; i++)
                for (int j = 0; j < Matrix[i].Length; j++)
                    if (Matrix[i][j] != 0) yield return (i, j, Matrix[i][j]);
        }
    }
}

/// <summary>Writes an <c>int[][]</c> with each row on one line (<c>[1,0,2]</c>); reads any JSON layout.</summary>
internal sealed class CompactRowsConverter : JsonConverter<int[][]>
{
    public override int[][]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<int[][]>(ref reader, options);

    public override void Write(Utf8JsonWriter writer, int[][] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        string indent = Indent(writer, options);
        foreach (var row in value) writer.WriteRawValue(indent + Compact(row), skipInputValidation: true);
        writer.WriteEndArray();
    }

    /// <summary>A raw value is written as given: in indented output, start it on its own line at the array's depth.</summary>
    internal static string Indent(Utf8JsonWriter writer, JsonSerializerOptions options) =>
        options.WriteIndented ? "\n" + new string(' ', 2 * writer.CurrentDepth) : "";

    internal static string Compact(int[] row) => "[" + string.Join(",", row.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

/// <summary>Writes an <c>int[][][]</c> with each matrix on one line (<c>[[tn,fp],[fn,tp]]</c>); reads any JSON layout.</summary>
internal sealed class CompactMatricesConverter : JsonConverter<int[][][]>
{
    public override int[][][]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<int[][][]>(ref reader, options);

    public override void Write(Utf8JsonWriter writer, int[][][] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        string indent = CompactRowsConverter.Indent(writer, options);
        foreach (var m in value) writer.WriteRawValue(indent + "[" + string.Join(",", m.Select(CompactRowsConverter.Compact)) + "]", skipInputValidation: true);
        writer.WriteEndArray();
    }
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
