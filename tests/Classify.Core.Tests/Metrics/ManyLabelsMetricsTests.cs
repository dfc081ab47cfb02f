using System.Text.Json;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Runs;

namespace Classify.Core.Tests.Metrics;

/// <summary>
/// Hardening item 8: with thousands of labels, metrics files and predictions grow with the labels that occur, not with
/// K² (confusion matrix) or rows × K (probability columns).
/// </summary>
public class ManyLabelsMetricsTests
{
    /// <summary>A 2,000-label schema where only <paramref name="present"/> labels occur: gold in rows, predictions mostly right.</summary>
    private static (LabelSchema Schema, int[][] Gold, int[][] Pred, double[][] Probs) ManyLabels(int k = 2000, int present = 30, int rows = 600, int seed = 3)
    {
        var schema = new LabelSchema(TaskKind.Multiclass, Enumerable.Range(0, k).Select(i => $"label_{i:0000}").ToArray());
        var rng = new Random(seed);
        var occurring = Enumerable.Range(0, present).Select(i => i * (k / present)).ToArray();
        var gold = new int[rows][];
        var pred = new int[rows][];
        var probs = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            int g = occurring[rng.Next(present)];
            int p = rng.NextDouble() < 0.8 ? g : occurring[rng.Next(present)];
            var row = new double[k];
            for (int j = 0; j < k; j++) row[j] = 0.2 / (k - 1);
            row[p] = 0.8;
            gold[i] = [g];
            pred[i] = [p];
            probs[i] = row;
        }
        return (schema, gold, pred, probs);
    }

    [Fact]
    public void Metrics_json_for_2000_labels_with_30_present_stays_small_and_lists_only_present_labels()
    {
        var (schema, gold, pred, probs) = ManyLabels();
        var report = MetricReport.Compute("test", schema, gold, pred, probs);
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "metrics", "test.json");
            report.Save(path);
            // 2,000 label names twice (labels, confusion_matrix.labels) ≈ 80 KB; the dense matrix alone would be 4 M cells.
            Assert.InRange(new FileInfo(path).Length, 1, 120_000);

            Assert.Equal(30, report.PerClass.Count);
            Assert.All(report.PerClass.Values, m => Assert.True(m.Support > 0));
            Assert.Null(report.ConfusionMatrix.Matrix);
            Assert.NotNull(report.ConfusionMatrix.Cells);
            Assert.InRange(report.ConfusionMatrix.Cells!.Length, 30, 30 * 30);
            Assert.Equal(gold.Length, report.ConfusionMatrix.Cells.Sum(c => c[2]));

            // Scalars still average over the whole schema, as scikit-learn does: absent labels count as F1 0.
            var yTrue = gold.Select(g => g[0]).ToArray();
            var yPred = pred.Select(p => p[0]).ToArray();
            Assert.Equal(ClassificationMetrics.PrecisionRecallFScore(yTrue, yPred, schema.Count, MetricAverage.Macro).F1, report.MacroF1, 12);
            Assert.Equal(ClassificationMetrics.AccuracyScore(yTrue, yPred), report.Accuracy);

            // An unlisted label reads as zeros with undefined AUCs.
            var absent = report.ForLabel("label_0001");
            Assert.Equal((0.0, 0.0, 0.0, 0), (absent.Precision, absent.Recall, absent.F1, absent.Support));
            Assert.Null(absent.RocAuc);
            Assert.Throws<ArgumentException>(() => report.ForLabel("no such label"));

            var loaded = MetricReport.Load(path);
            Assert.Equal(report.PerClass.Keys, loaded.PerClass.Keys);
            Assert.Equal(report.ConfusionMatrix.Cells, loaded.ConfusionMatrix.Cells);
            Assert.Equal(File.ReadAllText(path), JsonSerializer.Serialize(loaded, AtomicFile.JsonOptions));

            // The full tables sit beside the JSON: every label of the schema, and the non-zero confusion cells.
            var perClass = CsvTable.Read(MetricReport.PerClassCsvPath(path));
            Assert.Equal(MetricReport.PerClassCsvColumns, perClass.Header);
            Assert.Equal(schema.Count, perClass.Rows.Count);
            var confusion = CsvTable.Read(MetricReport.ConfusionCsvPath(path));
            Assert.Equal(["gold", "predicted", "count"], confusion.Header);
            Assert.Equal(report.ConfusionMatrix.Cells.Length, confusion.Rows.Count);
            Assert.Equal(gold.Length, confusion.Rows.Sum(r => int.Parse(r[2]!)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Confusion_matrix_is_dense_up_to_the_limit_and_each_row_is_written_on_one_line()
    {
        var (schema, gold, pred, probs) = ManyLabels(k: ConfusionMatrixReport.DenseLimit, present: 10, rows: 200);
        var report = MetricReport.Compute("val", schema, gold, pred, probs);
        Assert.NotNull(report.ConfusionMatrix.Matrix);
        Assert.Null(report.ConfusionMatrix.Cells);
        Assert.Equal(report.ConfusionMatrix.Matrix!.SelectMany((row, i) => row.Select((n, j) => (i, j, n))).Where(c => c.n != 0),
            report.ConfusionMatrix.NonZeroCells());
        var json = JsonSerializer.Serialize(report, AtomicFile.JsonOptions);
        var matrixLines = json.Split('\n').Count(l => l.TrimStart().StartsWith("[0,", StringComparison.Ordinal) || l.TrimStart().StartsWith("[1", StringComparison.Ordinal));
        Assert.True(matrixLines >= schema.Count, $"expected one line per matrix row, found {matrixLines}");
        Assert.Equal(schema.Count, report.PerClass.Count + schema.Labels.Count(l => !report.PerClass.ContainsKey(l)));
    }

    [Fact]
    public void Sparse_confusion_matrix_holds_the_non_zero_cells_of_the_dense_one()
    {
        int[] yTrue = [0, 1, 2, 2, 1, 0, 2];
        int[] yPred = [0, 2, 2, 2, 1, 1, 0];
        var dense = ClassificationMetrics.ConfusionMatrix(yTrue, yPred, 4);
        var sparse = ClassificationMetrics.SparseConfusionMatrix(yTrue, yPred, 4);
        var expected = dense.SelectMany((row, i) => row.Select((n, j) => new[] { i, j, n })).Where(c => c[2] != 0).ToArray();
        Assert.Equal(expected, sparse);
    }

    [Fact]
    public void Multilabel_per_class_omits_labels_with_neither_gold_nor_predicted_examples()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["a", "b", "c", "d"]);
        var report = MetricReport.Compute("val", schema, [[0], [0, 1], []], [[0], [0], [1]],
            [[0.9, 0.2, 0.1, 0.1], [0.8, 0.4, 0.2, 0.1], [0.1, 0.7, 0.1, 0.1]]);
        Assert.Equal(["a", "b"], report.PerClass.Keys);
        Assert.Equal(4, report.ConfusionMatrix.PerLabel!.Length);
        // Macro F1 still divides by all four labels (scikit-learn): a = 1, b = 0, c = d = 0.
        Assert.Equal(0.25, report.MacroF1, 12);
    }

    [Fact]
    public void Predictions_file_lists_top_and_gold_probabilities_above_the_dense_limit()
    {
        int k = PredictionsFile.DenseLimit + 50;
        var schema = new LabelSchema(TaskKind.Multiclass, Enumerable.Range(0, k).Select(i => $"c{i}").ToArray());
        var rng = new Random(5);
        var examples = new List<Example>();
        var predicted = new List<int[]>();
        var probs = new double[40][];
        for (int i = 0; i < probs.Length; i++)
        {
            var row = Enumerable.Range(0, k).Select(_ => rng.NextDouble()).ToArray();
            double sum = row.Sum();
            probs[i] = row.Select(p => p / sum).ToArray();
            int argmax = Array.IndexOf(probs[i], probs[i].Max());
            int gold = i % k;
            examples.Add(new Example($"r{i}", $"text {i}", [gold]));
            predicted.Add([argmax]);
        }
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "test.csv");
            PredictionsFile.Write(path, schema, examples, predicted, probs);
            var table = CsvTable.Read(path);
            Assert.Equal(["id", "text", "gold", "pred", PredictionsFile.ProbabilitiesColumn], table.Header);
            for (int i = 0; i < probs.Length; i++)
            {
                using var cell = JsonDocument.Parse(table.Rows[i][4]!);
                var listed = cell.RootElement.EnumerateObject().Select(p => (Name: p.Name, P: p.Value.GetDouble())).ToList();
                var top = Enumerable.Range(0, k).OrderByDescending(j => probs[i][j]).Take(PredictionsFile.TopProbabilities).Select(j => $"c{j}");
                Assert.Superset(top.Append($"c{examples[i].Labels[0]}").ToHashSet(), listed.Select(l => l.Name).ToHashSet());
                Assert.InRange(listed.Count, PredictionsFile.TopProbabilities, PredictionsFile.TopProbabilities + 1);
                Assert.Equal(listed.OrderByDescending(l => l.P).Select(l => l.Name), listed.Select(l => l.Name));
                Assert.All(listed, l => Assert.Equal(probs[i][int.Parse(l.Name[1..])], l.P));
            }

            var small = new LabelSchema(TaskKind.Multiclass, schema.Labels.Take(PredictionsFile.DenseLimit).ToArray());
            Assert.Equal(4 + PredictionsFile.DenseLimit, PredictionsFile.Header(small).Length);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
