using System.Text.Json;
using Classify.Core.IO;
using Classify.Core.Metrics;

namespace Classify.Reports.RunData;

/// <summary>One label's row of the per-class report.</summary>
internal sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, long Support, double? RocAuc, double? PrAuc);

/// <summary>
/// The contents of <c>metrics/&lt;split&gt;.json</c> (docs/file-formats.md), read with <see cref="JsonDocument"/> so that
/// reports depend on the file format only, not on the type that writes it.
/// </summary>
internal sealed class SplitMetrics
{
    /// <summary>Split name (val, test).</summary>
    public required string Split { get; init; }
    /// <summary>Task name (binary, multiclass, multilabel).</summary>
    public required string Task { get; init; }
    /// <summary>Label names in schema order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Number of examples evaluated.</summary>
    public long N { get; init; }
    /// <summary>Scalar metrics present in the file; a null value means "not defined" (e.g. AUC with one class).</summary>
    public required IReadOnlyDictionary<string, double?> Scalars { get; init; }
    /// <summary>
    /// Per-class rows in label order, for the labels the file lists (since per-class entries became sparse, only labels
    /// with a gold or predicted example; older files list every label).
    /// </summary>
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>Single-label confusion counts (from the dense <c>matrix</c> or the sparse <c>cells</c>), or null.</summary>
    public ConfusionCells? Confusion { get; init; }
    /// <summary>Multi-label per-label [[tn, fp], [fn, tp]] matrices, or null.</summary>
    public long[][,]? PerLabelConfusion { get; init; }

    /// <summary>The <c>calibration</c> object (temperature, scores and reliability bins before and after), or null when the run did not calibrate.</summary>
    public SplitCalibration? Calibration { get; init; }

    /// <summary>
    /// The <c>abstention</c> object's figures keyed as in the file (<c>threshold</c>, <c>coverage</c>,
    /// <c>selective_accuracy</c>, <c>selective_macro_f1</c>; a null value when none was kept), or null for a model
    /// without an abstain rule.
    /// </summary>
    public IReadOnlyDictionary<string, double?>? Abstention { get; init; }

    /// <summary>True for multi-label tasks.</summary>
    public bool IsMultilabel => Task == "multilabel";

    /// <summary>A scalar metric, or null when absent or undefined.</summary>
    public double? Get(string key) => Scalars.TryGetValue(key, out var v) ? v : null;

    /// <summary>Reads and validates a metrics file.</summary>
    public static SplitMetrics Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InputException($"malformed JSON: {e.Message}", path, e.LineNumber + 1, e.Path, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InputException("expected a JSON object", path);
            var labels = Json.StringArray(root, "labels", path);
            var scalars = new Dictionary<string, double?>(StringComparer.Ordinal);
            foreach (var key in MetricKeys.All)
                if (root.TryGetProperty(key, out var v)) scalars[key] = Json.NullableNumber(v, key, path);

            var perClass = new List<ClassMetrics>();
            if (root.TryGetProperty("per_class", out var pc))
            {
                if (pc.ValueKind != JsonValueKind.Object) throw new InputException("expected an object", path, field: "per_class");
                foreach (var label in labels)
                {
                    if (!pc.TryGetProperty(label, out var row)) continue;
                    string f(string name) => $"per_class.{label}.{name}";
                    perClass.Add(new ClassMetrics(
                        label,
                        Json.NullableNumber(Json.Required(row, "precision", path, f("precision")), f("precision"), path) ?? 0,
                        Json.NullableNumber(Json.Required(row, "recall", path, f("recall")), f("recall"), path) ?? 0,
                        Json.NullableNumber(Json.Required(row, "f1", path, f("f1")), f("f1"), path) ?? 0,
                        (long)(Json.NullableNumber(Json.Required(row, "support", path, f("support")), f("support"), path) ?? 0),
                        row.TryGetProperty("roc_auc", out var ra) ? Json.NullableNumber(ra, f("roc_auc"), path) : null,
                        row.TryGetProperty("pr_auc", out var pa) ? Json.NullableNumber(pa, f("pr_auc"), path) : null));
                }
            }

            ConfusionCells? matrix = null;
            long[][,]? perLabel = null;
            if (root.TryGetProperty("confusion_matrix", out var cm) && cm.ValueKind == JsonValueKind.Object)
            {
                if (cm.TryGetProperty("matrix", out var m)) matrix = ConfusionCells.FromDense(ReadMatrix(m, labels.Count, labels.Count, "confusion_matrix.matrix", path));
                else if (cm.TryGetProperty("cells", out var c)) matrix = ReadCells(c, labels.Count, "confusion_matrix.cells", path);
                if (cm.TryGetProperty("per_label", out var pl))
                {
                    if (pl.ValueKind != JsonValueKind.Array || pl.GetArrayLength() != labels.Count)
                        throw new InputException($"expected {labels.Count} 2x2 matrices", path, field: "confusion_matrix.per_label");
                    perLabel = pl.EnumerateArray().Select((e, i) => ReadMatrix(e, 2, 2, $"confusion_matrix.per_label[{i}]", path)).ToArray();
                }
            }

            return new SplitMetrics
            {
                Split = root.TryGetProperty("split", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : Path.GetFileNameWithoutExtension(path),
                Task = root.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : (perLabel != null ? "multilabel" : "multiclass"),
                Labels = labels,
                N = root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0,
                Scalars = scalars,
                PerClass = perClass,
                Confusion = matrix,
                PerLabelConfusion = perLabel,
                Calibration = root.TryGetProperty("calibration", out var cal) && cal.ValueKind == JsonValueKind.Object ? SplitCalibration.Read(cal, path) : null,
                Abstention = root.TryGetProperty("abstention", out var ab) ? ReadAbstention(ab, path) : null,
            };
        }
    }

    /// <summary>The figures the report shows of an <c>abstention</c> object, in display order.</summary>
    public static readonly IReadOnlyList<string> AbstentionKeys = ["coverage", "selective_accuracy", "selective_macro_f1", "threshold"];

    private static Dictionary<string, double?> ReadAbstention(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InputException("expected an object", path, field: "abstention");
        return AbstentionKeys.ToDictionary(k => k, k => e.TryGetProperty(k, out var v) ? Json.NullableNumber(v, $"abstention.{k}", path) : null);
    }

    private static ConfusionCells ReadCells(JsonElement e, int labelCount, string field, string path)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new InputException("expected an array of [gold, predicted, count] cells", path, field: field);
        var cells = new List<ConfusionCell>(e.GetArrayLength());
        int i = 0;
        foreach (var cell in e.EnumerateArray())
        {
            if (cell.ValueKind != JsonValueKind.Array || cell.GetArrayLength() != 3
                || cell.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out _)))
                throw new InputException($"cell {i} should be [gold index, predicted index, count]", path, field: field);
            long g = cell[0].GetInt64(), p = cell[1].GetInt64(), n = cell[2].GetInt64();
            if (g < 0 || g >= labelCount || p < 0 || p >= labelCount)
                throw new InputException($"cell {i} names a label index outside 0..{labelCount - 1}", path, field: field);
            if (n != 0) cells.Add(new ConfusionCell((int)g, (int)p, n));
            i++;
        }
        return new ConfusionCells(labelCount, cells);
    }

    private static long[,] ReadMatrix(JsonElement e, int rows, int cols, string field, string path)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != rows)
            throw new InputException($"expected a {rows}x{cols} matrix", path, field: field);
        var result = new long[rows, cols];
        int i = 0;
        foreach (var row in e.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != cols)
                throw new InputException($"row {i} should have {cols} entries", path, field: field);
            int j = 0;
            foreach (var cell in row.EnumerateArray())
            {
                if (cell.ValueKind != JsonValueKind.Number || !cell.TryGetInt64(out var v))
                    throw new InputException($"entry [{i}][{j}] is not an integer", path, field: field);
                result[i, j++] = v;
            }
            i++;
        }
        return result;
    }
}

/// <summary>One bin of a reliability diagram as the metrics file stores it (confidence and accuracy null when empty).</summary>
internal sealed record ReliabilityPoint(double Lower, double Upper, long Count, double? Confidence, double? Accuracy);

/// <summary>A split's scores at one temperature: NLL, ECE, Brier and the reliability bins.</summary>
internal sealed record CalibrationPoint(double? Nll, double? Ece, double? Brier, IReadOnlyList<ReliabilityPoint> Reliability);

/// <summary>The <c>calibration</c> object of a metrics file (docs/file-formats.md).</summary>
internal sealed record SplitCalibration(double Temperature, IReadOnlyList<double>? LabelTemperatures, CalibrationPoint Before, CalibrationPoint After)
{
    /// <summary>"0.677", or for per-label temperatures "per label, 0.41–1.3".</summary>
    public string TemperatureText => LabelTemperatures is { Count: > 0 } lt
        ? $"per label, {Format(Temperature * lt.Min())}–{Format(Temperature * lt.Max())}"
        : Format(Temperature);

    private static string Format(double t) => t.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    public static SplitCalibration Read(JsonElement e, string path)
    {
        CalibrationPoint Point(string name)
        {
            var p = Json.Required(e, name, path, $"calibration.{name}");
            var bins = Json.Required(p, "reliability", path, $"calibration.{name}.reliability");
            if (bins.ValueKind != JsonValueKind.Array) throw new InputException("expected an array of bins", path, field: $"calibration.{name}.reliability");
            var points = bins.EnumerateArray().Select((b, i) =>
            {
                string f(string key) => $"calibration.{name}.reliability[{i}].{key}";
                double? Number(string key) => Json.NullableNumber(Json.Required(b, key, path, f(key)), f(key), path);
                return new ReliabilityPoint(Number("lower") ?? 0, Number("upper") ?? 0, (long)(Number("count") ?? 0), Number("confidence"), Number("accuracy"));
            }).ToList();
            double? Scalar(string key) => Json.NullableNumber(Json.Required(p, key, path, $"calibration.{name}.{key}"), $"calibration.{name}.{key}", path);
            return new CalibrationPoint(Scalar("nll"), Scalar("ece"), Scalar("brier"), points);
        }
        double temperature = Json.NullableNumber(Json.Required(e, "temperature", path, "calibration.temperature"), "calibration.temperature", path)
            ?? throw new InputException("the temperature is null", path, field: "calibration.temperature");
        List<double>? labelTemperatures = null;
        if (e.TryGetProperty("label_temperatures", out var lt) && lt.ValueKind != JsonValueKind.Null)
        {
            if (lt.ValueKind != JsonValueKind.Array) throw new InputException("expected an array of numbers", path, field: "calibration.label_temperatures");
            labelTemperatures = lt.EnumerateArray().Select((v, i) => Json.NullableNumber(v, $"calibration.label_temperatures[{i}]", path)
                ?? throw new InputException("a temperature is null", path, field: $"calibration.label_temperatures[{i}]")).ToList();
        }
        return new SplitCalibration(temperature, labelTemperatures, Point("before"), Point("after"));
    }
}

/// <summary>Small JSON accessors whose errors name the file and the key.</summary>
internal static class Json
{
    public static JsonElement Required(JsonElement obj, string name, string path, string? field = null) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) ? v
            : throw new InputException("missing value", path, field: field ?? name);

    public static double? NullableNumber(JsonElement e, string field, string path) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number => e.GetDouble(),
        // NaN/Infinity are written as strings by AllowNamedFloatingPointLiterals.
        JsonValueKind.String when double.TryParse(e.GetString(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var d) => double.IsFinite(d) ? d : null,
        _ => throw new InputException($"expected a number, got {e.ValueKind}", path, field: field),
    };

    public static List<string> StringArray(JsonElement obj, string name, string path)
    {
        var e = Required(obj, name, path);
        if (e.ValueKind != JsonValueKind.Array) throw new InputException("expected an array of strings", path, field: name);
        var list = new List<string>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw new InputException("expected an array of strings", path, field: name);
            list.Add(item.GetString()!);
        }
        return list;
    }
}
