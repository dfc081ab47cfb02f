using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Runs;

/// <summary>
/// predictions/&lt;split&gt;.csv: id, text, gold, pred and one <c>p_&lt;label&gt;</c> column per label. Multilabel gold and
/// pred join label names with <see cref="LabelSeparator"/>.
/// </summary>
public static class PredictionsFile
{
    /// <summary>Separator of label names in multilabel gold/pred cells.</summary>
    public const string LabelSeparator = "|";

    /// <summary>Header for a schema.</summary>
    public static string[] Header(LabelSchema schema) => ["id", "text", "gold", "pred", .. schema.Labels.Select(l => "p_" + l)];

    /// <summary>Writes the file atomically. <paramref name="originalTexts"/> are shown instead of the cleaned texts when given.</summary>
    public static void Write(string path, LabelSchema schema, IReadOnlyList<Example> examples, IReadOnlyList<int[]> predicted,
        double[][] probabilities, IReadOnlyList<string>? originalTexts = null)
    {
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(Header(schema));
            for (int i = 0; i < examples.Count; i++)
            {
                var row = new object?[4 + schema.Count];
                row[0] = examples[i].Id;
                row[1] = originalTexts?[i] ?? examples[i].Text;
                row[2] = Join(schema, examples[i].Labels);
                row[3] = Join(schema, predicted[i]);
                for (int k = 0; k < schema.Count; k++) row[4 + k] = probabilities[i][k];
                csv.WriteValues(row);
            }
        });
    }

    /// <summary>Label names of indices, joined for a CSV cell.</summary>
    public static string Join(LabelSchema schema, IEnumerable<int> labels) => string.Join(LabelSeparator, labels.Select(k => schema.Labels[k]));
}
