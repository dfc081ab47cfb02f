using System.Globalization;
using System.Text.Json;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Runs;

namespace Classify.Reports.RunData;

/// <summary>
/// The contents of <c>predictions/&lt;split&gt;.csv</c>: id, text, gold, pred and the probabilities, either one
/// <c>p_&lt;label&gt;</c> column per label (dense) or one <c>probabilities</c> column listing a few labels per row as a JSON
/// object (sparse, for many labels; <see cref="PredictionsFile"/>). Gold and predicted labels are kept as label
/// indices per row, probabilities as rows × labels (dense) or as the listed (label, probability) pairs per row (sparse),
/// so memory follows the file, not rows × labels.
/// </summary>
internal sealed class PredictionTable
{
    private readonly double[]? _dense;        // rows × labels, row-major
    private readonly int[][]? _listedLabels;  // sparse: per row, the listed label indices
    private readonly double[][]? _listedProbs; // sparse: their probabilities

    private PredictionTable(string split, bool multilabel, IReadOnlyList<string> labels, string[] ids, string[] texts,
        string[] goldText, string[] predText, int[][] gold, int[][] pred, double[]? dense, int[][]? listedLabels, double[][]? listedProbs,
        UncertaintyTable? uncertainty)
    {
        Uncertainty = uncertainty;
        Split = split;
        IsMultilabel = multilabel;
        Labels = labels;
        Ids = ids;
        Texts = texts;
        GoldText = goldText;
        PredText = predText;
        GoldLabels = gold;
        PredictedLabels = pred;
        _dense = dense;
        _listedLabels = listedLabels;
        _listedProbs = listedProbs;
    }

    /// <summary>Split name.</summary>
    public string Split { get; }
    /// <summary>True when gold/pred may hold several labels.</summary>
    public bool IsMultilabel { get; }
    /// <summary>Label names (from the p_ columns in file order, or given by the run for the sparse layout).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Example ids.</summary>
    public string[] Ids { get; }
    /// <summary>Example texts.</summary>
    public string[] Texts { get; }
    /// <summary>Gold column as written.</summary>
    public string[] GoldText { get; }
    /// <summary>Pred column as written.</summary>
    public string[] PredText { get; }
    /// <summary>Gold label indices per row.</summary>
    public int[][] GoldLabels { get; }
    /// <summary>Predicted label indices per row.</summary>
    public int[][] PredictedLabels { get; }
    /// <summary>True when the file lists only some probabilities per row; the others read as 0.</summary>
    public bool IsSparse => _dense == null;
    /// <summary>The uncertainty columns, or null when the file has none (runs before uncertainty was written).</summary>
    public UncertaintyTable? Uncertainty { get; }
    /// <summary>Number of rows.</summary>
    public int Count => Ids.Length;
    /// <summary>Number of labels.</summary>
    public int LabelCount => Labels.Count;

    /// <summary>True when label <paramref name="k"/> is gold for row <paramref name="i"/>.</summary>
    public bool IsGold(int i, int k) => Array.IndexOf(GoldLabels[i], k) >= 0;
    /// <summary>True when label <paramref name="k"/> is predicted for row <paramref name="i"/>.</summary>
    public bool IsPredicted(int i, int k) => Array.IndexOf(PredictedLabels[i], k) >= 0;

    /// <summary>Probability of label <paramref name="k"/> for row <paramref name="i"/> (0 when a sparse row does not list it).</summary>
    public double Probability(int i, int k)
    {
        if (_dense != null) return _dense[i * Labels.Count + k];
        int at = Array.IndexOf(_listedLabels![i], k);
        return at < 0 ? 0 : _listedProbs![i][at];
    }

    /// <summary>The probability column of one label (a copy; unlisted sparse entries are 0).</summary>
    public double[] Scores(int k)
    {
        var s = new double[Count];
        for (int i = 0; i < s.Length; i++) s[i] = Probability(i, k);
        return s;
    }

    /// <summary>The gold indicator column of one label (a copy).</summary>
    public bool[] GoldColumn(int k)
    {
        var s = new bool[Count];
        for (int i = 0; i < s.Length; i++) s[i] = IsGold(i, k);
        return s;
    }

    /// <summary>Gold examples per label.</summary>
    public int[] GoldCounts()
    {
        var counts = new int[LabelCount];
        foreach (var row in GoldLabels) foreach (int k in row) counts[k]++;
        return counts;
    }

    /// <summary>Predictions per label.</summary>
    public int[] PredictedCounts()
    {
        var counts = new int[LabelCount];
        foreach (var row in PredictedLabels) foreach (int k in row) counts[k]++;
        return counts;
    }

    /// <summary>
    /// The labels whose probability row <paramref name="i"/> holds: every label (dense) or the listed ones (sparse).
    /// </summary>
    public IEnumerable<int> ProbabilityLabels(int i) => _dense != null ? Enumerable.Range(0, LabelCount) : _listedLabels![i];

    /// <summary>
    /// Reads and validates a predictions file. <paramref name="labels"/> (the run's labels) is needed to read the
    /// sparse layout, whose header does not name the labels; the dense layout takes them from its p_ columns.
    /// </summary>
    public static PredictionTable Load(string path, string split, bool multilabel, IReadOnlyList<string>? labels = null)
    {
        using var reader = CsvTable.Open(path);
        var header = reader.Columns;
        string[] fixedColumns = ["id", "text", "gold", "pred"];
        for (int c = 0; c < fixedColumns.Length; c++)
            if (header.Count <= c || header[c] != fixedColumns[c])
                throw new InputException($"column {c + 1} should be '{fixedColumns[c]}'", path, 1, header.Count > c ? header[c] : fixedColumns[c]);
        bool sparse = header.Count >= 5 && header[4] == PredictionsFile.ProbabilitiesColumn;
        // The probability columns end where the uncertainty columns (if any) begin.
        // A model with an abstain rule adds its "abstained" column last; the reports do not read it.
        int columns = header.Count > 4 && header[^1] == PredictionsFile.AbstainedColumn ? header.Count - 1 : header.Count;
        int end = columns;
        while (end > 4 && Core.Uncertainty.UncertaintyColumns.IsUncertaintyColumn(header[end - 1])) end--;
        var uncertaintyColumns = UncertaintyLayout.Find(columns == header.Count ? header : header.Take(columns).ToArray(), end, path);
        List<string> names;
        if (sparse)
        {
            if (labels is not { Count: > 0 })
                throw new InputException($"the '{PredictionsFile.ProbabilitiesColumn}' column needs the run's labels (run.json or metrics)", path, 1, header[4]);
            names = labels.ToList();
        }
        else
        {
            names = [];
            for (int c = 4; c < end; c++)
            {
                if (!header[c].StartsWith("p_", StringComparison.Ordinal))
                    throw new InputException($"probability columns must be named p_<label> (or one '{PredictionsFile.ProbabilitiesColumn}' column)", path, 1, header[c]);
                names.Add(header[c][2..]);
            }
            if (names.Count == 0) throw new InputException("no p_<label> probability columns", path, 1);
        }
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++) index.TryAdd(names[i], i);
        int k = names.Count;

        var ids = new List<string>();
        var texts = new List<string>();
        var goldText = new List<string>();
        var predText = new List<string>();
        var gold = new List<int[]>();
        var pred = new List<int[]>();
        var dense = sparse ? null : new List<double>();
        var listedLabels = sparse ? new List<int[]>() : null;
        var listedProbs = sparse ? new List<double[]>() : null;
        var uncertaintyValues = uncertaintyColumns?.NewValues();
        // The reader has checked that every row has as many fields as the header (CSV cells are never null).
        foreach (var record in reader.ReadAll())
        {
            long line = record.Line;
            string Field(int c) => record[c]!;
            ids.Add(Field(0));
            texts.Add(Field(1));
            goldText.Add(Field(2));
            predText.Add(Field(3));
            gold.Add(ParseLabels(Field(2), "gold"));
            pred.Add(ParseLabels(Field(3), "pred"));
            if (sparse)
            {
                var (l, p) = ParseListed(Field(4), line);
                listedLabels!.Add(l);
                listedProbs!.Add(p);
            }
            else
                for (int c = 0; c < k; c++)
                {
                    if (!double.TryParse(Field(4 + c), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || double.IsNaN(p))
                        throw new InputException($"'{Field(4 + c)}' is not a probability", path, line, header[4 + c]);
                    dense!.Add(p);
                }
            uncertaintyColumns?.Read(record, uncertaintyValues!, path);

            int[] ParseLabels(string cell, string field)
            {
                if (cell.Length == 0)
                {
                    if (!multilabel) throw new InputException("empty label in a single-label task", path, line, field);
                    return [];
                }
                var result = new List<int>();
                foreach (var name in multilabel ? cell.Split('|') : [cell])
                {
                    if (!index.TryGetValue(name, out var j))
                        throw new InputException($"unknown label '{name}' (labels: {LabelList(names)})", path, line, field);
                    if (!result.Contains(j)) result.Add(j);
                }
                return result.ToArray();
            }
        }
        return new PredictionTable(split, multilabel, names, ids.ToArray(), texts.ToArray(), goldText.ToArray(), predText.ToArray(),
            gold.ToArray(), pred.ToArray(), dense?.ToArray(), listedLabels?.ToArray(), listedProbs?.ToArray(),
            uncertaintyColumns?.Build(uncertaintyValues!, names));

        (int[] Labels, double[] Probs) ParseListed(string cell, long line)
        {
            var l = new List<int>();
            var p = new List<double>();
            try
            {
                using var doc = JsonDocument.Parse(cell);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InputException("expected a JSON object {\"label\": probability, …}", path, line, PredictionsFile.ProbabilitiesColumn);
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (!index.TryGetValue(property.Name, out var j))
                        throw new InputException($"unknown label '{property.Name}'", path, line, PredictionsFile.ProbabilitiesColumn);
                    if (property.Value.ValueKind != JsonValueKind.Number)
                        throw new InputException($"the probability of '{property.Name}' is not a number", path, line, PredictionsFile.ProbabilitiesColumn);
                    l.Add(j);
                    p.Add(property.Value.GetDouble());
                }
            }
            catch (JsonException e)
            {
                throw new InputException($"malformed JSON: {e.Message}", path, line, PredictionsFile.ProbabilitiesColumn, e);
            }
            return (l.ToArray(), p.ToArray());
        }
    }

    private static string LabelList(IReadOnlyList<string> names) =>
        names.Count <= 20 ? string.Join(", ", names) : string.Join(", ", names.Take(20)) + $", … ({names.Count} labels)";
}
