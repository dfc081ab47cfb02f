using System.Globalization;
using System.Text;
using System.Text.Json;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Uncertainty;

namespace Classify.Core.Runs;

/// <summary>
/// predictions/&lt;split&gt;.csv: id, text, gold, pred, then the probabilities. Up to <see cref="DenseLimit"/> labels one
/// <c>p_&lt;label&gt;</c> column per label; above it a single <see cref="ProbabilitiesColumn"/> column holding, as a JSON
/// object, the probabilities of the <see cref="TopProbabilities"/> most probable labels and of every gold and predicted
/// label of the row (one column per label would make the file grow with rows × labels). Multilabel gold and pred join
/// label names with <see cref="LabelSeparator"/>. When the run estimated uncertainty, the
/// <see cref="UncertaintyColumns"/> follow (in the sparse layout only the three per-example columns).
/// </summary>
public static class PredictionsFile
{
    /// <summary>Separator of label names in multilabel gold/pred cells.</summary>
    public const string LabelSeparator = "|";

    /// <summary>The largest label count written with one <c>p_&lt;label&gt;</c> column per label.</summary>
    public const int DenseLimit = 100;

    /// <summary>Above <see cref="DenseLimit"/> labels: how many of the most probable labels each row lists (besides its gold and predicted labels).</summary>
    public const int TopProbabilities = 10;

    /// <summary>The column of the sparse layout: <c>{"label": probability, …}</c>, most probable first.</summary>
    public const string ProbabilitiesColumn = "probabilities";

    /// <summary>True when a schema of <paramref name="labelCount"/> labels is written with the sparse <see cref="ProbabilitiesColumn"/>.</summary>
    public static bool IsSparse(int labelCount) => labelCount > DenseLimit;

    /// <summary>
    /// The last column of a run whose model abstains: <c>true</c> when the abstain rule held the row back, else
    /// <c>false</c>. <c>pred</c> keeps the decision the model would have made either way.
    /// </summary>
    public const string AbstainedColumn = "abstained";

    /// <summary>
    /// Header for a schema, with the <see cref="UncertaintyColumns"/> when <paramref name="withUncertainty"/> and
    /// <see cref="AbstainedColumn"/> last when <paramref name="withAbstained"/>.
    /// </summary>
    public static string[] Header(LabelSchema schema, bool withUncertainty = false, bool withAbstained = false)
    {
        ArgumentNullException.ThrowIfNull(schema);
        bool sparse = IsSparse(schema.Count);
        string[] header = sparse
            ? ["id", "text", "gold", "pred", ProbabilitiesColumn]
            : ["id", "text", "gold", "pred", .. schema.Labels.Select(l => "p_" + l)];
        if (withUncertainty) header = [.. header, .. UncertaintyColumns.Header(schema, perLabel: !sparse)];
        return withAbstained ? [.. header, AbstainedColumn] : header;
    }

    /// <summary>
    /// Writes the file atomically. <paramref name="originalTexts"/> are shown instead of the cleaned texts when given;
    /// <paramref name="uncertainty"/> (one per example) adds the uncertainty columns, <paramref name="abstained"/> (one per
    /// example) the <see cref="AbstainedColumn"/>.
    /// </summary>
    public static void Write(string path, LabelSchema schema, IReadOnlyList<Example> examples, IReadOnlyList<int[]> predicted,
        double[][] probabilities, IReadOnlyList<string>? originalTexts = null, IReadOnlyList<ExampleUncertainty>? uncertainty = null,
        IReadOnlyList<bool>? abstained = null)
    {
        if (abstained is not null && abstained.Count != examples.Count)
            throw new ArgumentException($"{abstained.Count} abstain flags for {examples.Count} examples", nameof(abstained));
        bool sparse = IsSparse(schema.Count);
        if (uncertainty is not null && uncertainty.Count != examples.Count)
            throw new ArgumentException($"{uncertainty.Count} uncertainties for {examples.Count} examples", nameof(uncertainty));
        // Label names as JSON strings, encoded once.
        var jsonNames = sparse ? schema.Labels.Select(l => JsonSerializer.Serialize(l, AtomicFile.JsonOptions)).ToArray() : null;
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            var header = Header(schema, uncertainty is not null, abstained is not null);
            csv.WriteRow(header);
            int fixedCount = sparse ? 5 : 4 + schema.Count;
            var row = new object?[header.Length];
            for (int i = 0; i < examples.Count; i++)
            {
                row[0] = examples[i].Id;
                row[1] = originalTexts?[i] ?? examples[i].Text;
                row[2] = Join(schema, examples[i].Labels);
                row[3] = Join(schema, predicted[i]);
                if (sparse) row[4] = SparseCell(jsonNames!, probabilities[i], examples[i].Labels, predicted[i]);
                else for (int k = 0; k < schema.Count; k++) row[4 + k] = probabilities[i][k];
                if (uncertainty is not null) UncertaintyColumns.Fill(uncertainty[i], row, fixedCount, perLabel: !sparse);
                if (abstained is not null) row[^1] = abstained[i] ? "true" : "false";
                csv.WriteValues(row);
            }
        });
    }

    /// <summary>Label names of indices, joined for a CSV cell.</summary>
    public static string Join(LabelSchema schema, IEnumerable<int> labels) => string.Join(LabelSeparator, labels.Select(k => schema.Labels[k]));

    /// <summary>
    /// The label indices a sparse row lists: the <see cref="TopProbabilities"/> most probable (ties: lower index first)
    /// and every gold and predicted label, most probable first.
    /// </summary>
    public static int[] ListedLabels(double[] probabilities, IEnumerable<int> gold, IEnumerable<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var listed = new HashSet<int>(gold.Concat(predicted));
        // A bounded selection of the top entries: O(K · top) instead of sorting all K.
        var top = new List<int>(TopProbabilities + 1);
        for (int k = 0; k < probabilities.Length; k++)
        {
            if (top.Count == TopProbabilities && !(probabilities[k] > probabilities[top[^1]])) continue;
            int at = top.Count;
            while (at > 0 && probabilities[k] > probabilities[top[at - 1]]) at--;
            top.Insert(at, k);
            if (top.Count > TopProbabilities) top.RemoveAt(top.Count - 1);
        }
        listed.UnionWith(top);
        return listed.OrderByDescending(k => probabilities[k]).ThenBy(k => k).ToArray();
    }

    private static string SparseCell(string[] jsonNames, double[] probabilities, IEnumerable<int> gold, IEnumerable<int> predicted)
    {
        var sb = new StringBuilder("{");
        foreach (int k in ListedLabels(probabilities, gold, predicted))
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append(jsonNames[k]).Append(':').Append(probabilities[k].ToString("R", CultureInfo.InvariantCulture));
        }
        return sb.Append('}').ToString();
    }
}
