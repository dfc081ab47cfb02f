using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Runs;
using Classify.Reports.Charts;
using Classify.Reports.Html;
using Classify.Reports.ModelCard;
using Classify.Reports.RunData;

namespace Classify.Reports.Tests.Reports;

/// <summary>
/// Hardening item 8: with thousands of labels, charts draw at most <see cref="ReportLimits.ChartLabels"/> labels,
/// tables list at most <see cref="ReportLimits.TableLabels"/> and the rest goes to CSV; old (dense) files still read.
/// </summary>
public class ManyLabelsReportTests
{
    /// <summary>
    /// A single-label run written by the real writers: <paramref name="k"/> labels of which <paramref name="present"/>
    /// occur (Zipf-like), val and test of <paramref name="rows"/> rows, run.json with class counts, an empty model folder.
    /// </summary>
    private static string ManyLabelRun(string root, int k = 2000, int present = 200, int rows = 800)
    {
        var dir = Path.Combine(root, "many-labels");
        var layout = new RunLayout(dir);
        var labels = Enumerable.Range(0, k).Select(i => $"class_{i:0000}").ToArray();
        var schema = new LabelSchema(TaskKind.Multiclass, labels);
        var rng = new Random(11);
        var weights = Enumerable.Range(0, present).Select(i => 1.0 / Math.Sqrt(i + 1)).ToArray();
        int Draw()
        {
            double u = rng.NextDouble() * weights.Sum();
            for (int i = 0; i < weights.Length; i++) if ((u -= weights[i]) <= 0) return i * (k / present);
            return (present - 1) * (k / present);
        }
        var counts = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        foreach (var split in new[] { "val", "test" })
        {
            var examples = new List<Example>();
            var predicted = new int[rows][];
            var probs = new double[rows][];
            for (int i = 0; i < rows; i++)
            {
                int g = Draw(), p = rng.NextDouble() < 0.7 ? g : Draw();
                var row = new double[k];
                for (int j = 0; j < k; j++) row[j] = 0.4 / (k - 1) * (0.5 + rng.NextDouble()) ;
                row[p] = 0;
                row[p] = 1 - row.Sum();
                examples.Add(new Example($"{split}-{i}", $"text {i} of {labels[g]}", [g]));
                predicted[i] = [p];
                probs[i] = row;
            }
            Directory.CreateDirectory(layout.MetricsDirectory);
            MetricReport.Compute(split, schema, examples.Select(e => e.Labels).ToArray(), predicted, probs).Save(layout.Metrics(split));
            PredictionsFile.Write(layout.Predictions(split), schema, examples, predicted, probs);
            counts[split] = labels.ToDictionary(l => l, l => examples.Count(e => labels[e.Labels[0]] == l));
        }
        counts["train"] = counts["test"].ToDictionary(kv => kv.Key, kv => kv.Value * 5);
        new RunInfo
        {
            Name = "many-labels", RunId = "many-labels-20250101T000000Z", Status = "completed",
            CreatedUtc = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), Seed = 42, Task = "multiclass", Labels = labels, Engine = "linear",
            Config = new JsonObject { ["engine"] = "linear", ["linear"] = new JsonObject { ["logreg"] = new JsonObject { ["C"] = 1.0 } } },
            SplitSizes = new Dictionary<string, int> { ["train"] = rows * 5, ["val"] = rows, ["test"] = rows },
            ClassCounts = counts,
        }.Save(layout);
        Directory.CreateDirectory(layout.ModelDirectory);
        return dir;
    }

    private static (int Width, int Height) PngSize(string path)
    {
        var header = new byte[24];
        using (var f = File.OpenRead(path)) f.ReadExactly(header);
        return (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20)));
    }

    [Fact]
    public void Report_of_2000_labels_draws_at_most_the_chart_limit_and_lists_the_rest_in_csv()
    {
        using var tmp = new TempDirectory("many-report");
        var dir = ManyLabelRun(tmp.Path);
        var run = RunFolder.Load(dir);
        Assert.True(run.Predictions["test"].IsSparse);

        var view = RunCharts.ConfusionView(run.Labels, run.Metrics["test"], run.Predictions["test"])!;
        Assert.Equal(ReportLimits.ChartLabels, view.Names.Count);
        Assert.StartsWith("other (1,971 labels)", view.Names[^1]);
        long total = 0;
        foreach (var n in view.Matrix) total += n;
        Assert.Equal(run.Metrics["test"].N, total); // the "other" row and column keep every example
        Assert.Equal(ReportLimits.ChartLabels, RunCharts.PerLabelF1Rows(run.Metrics["test"].PerClass).Count);

        new RunArtifacts().Write(run.Layout, log: null, CancellationToken.None);

        var result = RunReport.Write(dir);
        foreach (var chart in result.Charts)
        {
            var (w, h) = PngSize(chart.PngPath);
            Assert.True(w <= 2400 && h <= 2400, $"{chart.Name} is {w}×{h}");
        }
        var html = File.ReadAllText(result.ReportPath);
        Assert.InRange(new FileInfo(result.ReportPath).Length, 1, 8_000_000);
        var perClass = html[html.IndexOf("id=\"per-class\"", StringComparison.Ordinal)..html.IndexOf("id=\"charts\"", StringComparison.Ordinal)];
        int rows = perClass.Split("<tr>").Length - 1;
        Assert.InRange(rows, 1, 2 * (ReportLimits.TableLabels + 5)); // two splits: listed labels, header and summary rows
        Assert.Contains("metrics/test_per_class.csv", perClass);
        Assert.Contains("… (1,900 more)", html); // the manifest names the first 100 labels

        var csv = CsvTable.Read(MetricReport.PerClassCsvPath(run.Layout.Metrics("test")));
        Assert.Equal(2000, csv.Rows.Count);
        Assert.True(File.Exists(MetricReport.ConfusionCsvPath(run.Layout.Metrics("test"))));
        Assert.True(File.Exists(run.Layout.SummaryReport));
    }

    [Fact]
    public void Model_card_of_2000_labels_lists_the_most_frequent_and_writes_every_label_to_csv()
    {
        using var tmp = new TempDirectory("many-card");
        var dir = ManyLabelRun(tmp.Path);

        var files = ModelCardWriter.Write(dir);

        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        var test = json.RootElement.GetProperty("evaluation").EnumerateArray().Single(e => e.GetProperty("split").GetString() == "test");
        Assert.Equal(ReportLimits.TableLabels, test.GetProperty("per_class").GetArrayLength());
        int listedInMetrics = RunFolder.Load(dir, withPredictions: false).Metrics["test"].PerClass.Count;
        Assert.Equal(listedInMetrics, test.GetProperty("per_class_total").GetInt32());
        Assert.Equal(JsonValueKind.Null, test.GetProperty("confusion_matrix").ValueKind);
        var csv = CsvTable.Read(Path.Combine(dir, "model", test.GetProperty("per_class_csv").GetString()!));
        Assert.Equal(listedInMetrics, csv.Rows.Count);
        // The most frequent label is listed; the card stays a readable size.
        Assert.Contains(test.GetProperty("per_class").EnumerateArray(), c => c.GetProperty("label").GetString() == "class_0000");
        Assert.InRange(new FileInfo(files.Json).Length, 1, 300_000);

        var md = File.ReadAllText(files.Markdown);
        Assert.InRange(md.Length, 1, 60_000);
        Assert.Contains("every label is in `per_class_test.csv`", md);
        Assert.Contains("metrics/test_confusion.csv", md);
        Assert.Contains("2,000 labels, in index order: class_0000, class_0001", md);
        var perClassSection = md[md.IndexOf("### Per-class scores (test)", StringComparison.Ordinal)..];
        perClassSection = perClassSection[..perClassSection.IndexOf("## Intended use", StringComparison.Ordinal)];
        Assert.InRange(perClassSection.Split('\n').Count(l => l.StartsWith("| class_", StringComparison.Ordinal)), 1, ReportLimits.TableLabels);
    }

    [Fact]
    public void Old_dense_files_with_many_labels_still_report_within_the_limits()
    {
        // The layout written before: a dense K×K matrix, every label in per_class, one p_ column per label.
        using var tmp = new TempDirectory("many-old");
        var dir = Path.Combine(tmp.Path, "old");
        var layout = new RunLayout(dir);
        int k = 120, n = 300;
        var labels = Enumerable.Range(0, k).Select(i => $"l{i}").ToArray();
        var rng = new Random(2);
        foreach (var split in new[] { "val", "test" })
        {
            var gold = new bool[n * k];
            var pred = new bool[n * k];
            var probs = new double[n * k];
            var lines = new List<string> { "id,text,gold,pred," + string.Join(",", labels.Select(l => "p_" + l)) };
            for (int i = 0; i < n; i++)
            {
                int g = rng.Next(k), p = rng.NextDouble() < 0.6 ? g : rng.Next(k);
                gold[i * k + g] = pred[i * k + p] = true;
                for (int j = 0; j < k; j++) probs[i * k + j] = j == p ? 0.5 : 0.5 / (k - 1);
                lines.Add($"{split}-{i},some text,{labels[g]},{labels[p]}," + string.Join(",", Enumerable.Range(0, k).Select(j => probs[i * k + j].ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            }
            Directory.CreateDirectory(layout.PredictionsDirectory);
            File.WriteAllText(layout.Predictions(split), string.Join("\n", lines) + "\n");
            Directory.CreateDirectory(layout.MetricsDirectory);
            File.WriteAllText(layout.Metrics(split), SyntheticRun.MetricsJson(split, labels, multilabel: false, gold, pred, probs).ToJsonString(AtomicFile.JsonOptions));
        }

        var run = RunFolder.Load(dir);
        Assert.False(run.Predictions["test"].IsSparse);
        Assert.Equal(k, run.Metrics["test"].PerClass.Count);
        Assert.Equal(k, run.Metrics["test"].Confusion!.LabelCount);

        var result = RunReport.Write(dir);
        Assert.All(result.Charts, c => Assert.True(PngSize(c.PngPath).Width <= 2400 && PngSize(c.PngPath).Height <= 2400, c.Name));
        // The report wrote the per-class CSV the old run lacked.
        Assert.Equal(k, CsvTable.Read(MetricReport.PerClassCsvPath(layout.Metrics("test"))).Rows.Count);
    }
}
