using System.Globalization;
using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Reports.RunData;

/// <summary>
/// The contents of <c>predictions/&lt;split&gt;.csv</c>: id, text, gold, pred and one probability column per label.
/// Gold and predicted labels are kept as row-major indicator matrices (rows × labels) so single-label and
/// multi-label runs share one shape.
/// </summary>
internal sealed class PredictionTable
{
    private PredictionTable(string split, bool multilabel, IReadOnlyList<string> labels, string[] ids, string[] texts,
        string[] goldText, string[] predText, bool[] gold, bool[] pred, double[] probabilities)
    {
        Split = split;
        IsMultilabel = multilabel;
        Labels = labels;
        Ids = ids;
        Texts = texts;
        GoldText = goldText;
        PredText = predText;
        Gold = gold;
        Pred = pred;
        Probabilities = probabilities;
    }

    /// <summary>Split name.</summary>
    public string Split { get; }
    /// <summary>True when gold/pred may hold several labels.</summary>
    public bool IsMultilabel { get; }
    /// <summary>Label names (from the p_ columns, in file order).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Example ids.</summary>
    public string[] Ids { get; }
    /// <summary>Example texts.</summary>
    public string[] Texts { get; }
    /// <summary>Gold column as written.</summary>
    public string[] GoldText { get; }
    /// <summary>Pred column as written.</summary>
    public string[] PredText { get; }
    /// <summary>Gold indicators, row-major rows × labels.</summary>
    public bool[] Gold { get; }
    /// <summary>Predicted indicators, row-major rows × labels.</summary>
    public bool[] Pred { get; }
    /// <summary>Probabilities, row-major rows × labels.</summary>
    public double[] Probabilities { get; }
    /// <summary>Number of rows.</summary>
    public int Count => Ids.Length;
    /// <summary>Number of labels.</summary>
    public int LabelCount => Labels.Count;

    /// <summary>True when label <paramref name="k"/> is gold for row <paramref name="i"/>.</summary>
    public bool IsGold(int i, int k) => Gold[i * Labels.Count + k];
    /// <summary>True when label <paramref name="k"/> is predicted for row <paramref name="i"/>.</summary>
    public bool IsPredicted(int i, int k) => Pred[i * Labels.Count + k];
    /// <summary>Probability of label <paramref name="k"/> for row <paramref name="i"/>.</summary>
    public double Probability(int i, int k) => Probabilities[i * Labels.Count + k];

    /// <summary>The probability column of one label (a copy).</summary>
    public double[] Scores(int k)
    {
        var s = new double[Count];
        for (int i = 0; i < s.Length; i++) s[i] = Probabilities[i * Labels.Count + k];
        return s;
    }

    /// <summary>The gold indicator column of one label (a copy).</summary>
    public bool[] GoldColumn(int k)
    {
        var s = new bool[Count];
        for (int i = 0; i < s.Length; i++) s[i] = Gold[i * Labels.Count + k];
        return s;
    }

    /// <summary>Reads and validates a predictions file.</summary>
    public static PredictionTable Load(string path, string split, bool multilabel)
    {
        using var reader = CsvTable.Open(path);
        var header = reader.Columns;
        string[] fixedColumns = ["id", "text", "gold", "pred"];
        for (int c = 0; c < fixedColumns.Length; c++)
            if (header.Count <= c || header[c] != fixedColumns[c])
                throw new InputException($"column {c + 1} should be '{fixedColumns[c]}'", path, 1, header.Count > c ? header[c] : fixedColumns[c]);
        var labels = new List<string>();
        for (int c = 4; c < header.Count; c++)
        {
            if (!header[c].StartsWith("p_", StringComparison.Ordinal))
                throw new InputException("probability columns must be named p_<label>", path, 1, header[c]);
            labels.Add(header[c][2..]);
        }
        if (labels.Count == 0) throw new InputException("no p_<label> probability columns", path, 1);
        var index = labels.Select((l, i) => (l, i)).ToDictionary(t => t.l, t => t.i, StringComparer.Ordinal);
        int k = labels.Count;

        var ids = new List<string>();
        var texts = new List<string>();
        var goldText = new List<string>();
        var predText = new List<string>();
        var gold = new List<bool>();
        var pred = new List<bool>();
        var probs = new List<double>();
        var row = new bool[k];
        // The reader has checked that every row has as many fields as the header (CSV cells are never null).
        foreach (var record in reader.ReadAll())
        {
            long line = record.Line;
            string Field(int c) => record[c]!;
            ids.Add(Field(0));
            texts.Add(Field(1));
            goldText.Add(Field(2));
            predText.Add(Field(3));
            ParseLabels(Field(2), "gold");
            gold.AddRange(row);
            ParseLabels(Field(3), "pred");
            pred.AddRange(row);
            for (int c = 0; c < k; c++)
            {
                if (!double.TryParse(Field(4 + c), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || double.IsNaN(p))
                    throw new InputException($"'{Field(4 + c)}' is not a probability", path, line, header[4 + c]);
                probs.Add(p);
            }

            void ParseLabels(string cell, string field)
            {
                Array.Clear(row);
                if (cell.Length == 0)
                {
                    if (!multilabel) throw new InputException("empty label in a single-label task", path, line, field);
                    return;
                }
                foreach (var name in multilabel ? cell.Split('|') : [cell])
                {
                    if (!index.TryGetValue(name, out var j))
                        throw new InputException($"unknown label '{name}' (labels: {string.Join(", ", labels)})", path, line, field);
                    row[j] = true;
                }
            }
        }
        return new PredictionTable(split, multilabel, labels, ids.ToArray(), texts.ToArray(), goldText.ToArray(), predText.ToArray(),
            gold.ToArray(), pred.ToArray(), probs.ToArray());
    }
}
