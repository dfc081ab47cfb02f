using System.Text.Json;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;

namespace Classify.Core.Tests.Metrics;

public class MetricReportTests
{
    private static readonly LabelSchema Sentiment = new(TaskKind.Multiclass, ["negative", "neutral", "positive"]);

    private static MetricReport SmallMulticlass() => MetricReport.Compute("test", Sentiment,
        [[0], [1], [2], [2], [1]],
        [[0], [2], [2], [2], [1]],
        [[0.7, 0.2, 0.1], [0.1, 0.4, 0.5], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.3, 0.6, 0.1]]);

    [Fact]
    public void Json_has_exactly_the_documented_keys_in_order()
    {
        var json = JsonSerializer.Serialize(SmallMulticlass(), AtomicFile.JsonOptions);
        using var doc = JsonDocument.Parse(json);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(
            ["split", "task", "labels", "n", "accuracy", "macro_f1", "micro_f1", "weighted_f1", "macro_precision", "macro_recall",
             "micro_precision", "micro_recall", "weighted_precision", "weighted_recall", "roc_auc_macro", "pr_auc_macro",
             "log_loss", "brier_score", "ece", "per_class", "confusion_matrix"], keys);
        Assert.Equal("multiclass", doc.RootElement.GetProperty("task").GetString());
        var perClass = doc.RootElement.GetProperty("per_class");
        Assert.Equal(["negative", "neutral", "positive"], perClass.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["precision", "recall", "f1", "support", "roc_auc", "pr_auc"],
            perClass.GetProperty("neutral").EnumerateObject().Select(p => p.Name));
        var cm = doc.RootElement.GetProperty("confusion_matrix");
        Assert.Equal(["labels", "matrix"], cm.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, cm.GetProperty("matrix")[1][2].GetInt32());
    }

    [Fact]
    public void Multilabel_json_adds_samples_f1_and_hamming_loss_and_writes_undefined_auc_as_null()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["a", "b", "c"]);
        // Label c never occurs: its AUC and AP are undefined.
        var report = MetricReport.Compute("val", schema, [[0], [0, 1], [], [1]], [[0], [0], [], [1, 2]],
            [[0.9, 0.2, 0.1], [0.8, 0.4, 0.2], [0.1, 0.1, 0.1], [0.3, 0.7, 0.6]]);
        var json = JsonSerializer.Serialize(report, AtomicFile.JsonOptions);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("multilabel", root.GetProperty("task").GetString());
        Assert.True(root.TryGetProperty("samples_f1", out _));
        Assert.Equal(2.0 / 12, root.GetProperty("hamming_loss").GetDouble(), 1e-15);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("per_class").GetProperty("c").GetProperty("roc_auc").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("per_class").GetProperty("c").GetProperty("pr_auc").ValueKind);
        Assert.Equal(1.0, report.RocAucMacro); // mean over a and b, both separable
        Assert.Equal(["labels", "per_label"], root.GetProperty("confusion_matrix").EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.5, report.Accuracy);
    }

    [Fact]
    public void Roc_auc_macro_is_null_when_no_label_is_defined()
    {
        var schema = new LabelSchema(TaskKind.Binary, ["no", "yes"]);
        var report = MetricReport.Compute("test", schema, [[1], [1]], [[1], [0]], [[0.2, 0.8], [0.6, 0.4]]);
        Assert.Null(report.RocAucMacro);
        Assert.Null(report.PerClass["no"].PrAuc);
        Assert.Equal(1.0, report.PerClass["yes"].PrAuc);
        Assert.Equal(1.0, report.PrAucMacro);
        Assert.False(report.TryGet("roc_auc_macro", out _));
        Assert.Throws<InvalidOperationException>(() => report.Get("roc_auc_macro"));
        // Binary Brier uses the probability of the second label.
        Assert.Equal((0.04 + 0.36) / 2, report.BrierScore, 1e-15);
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var report = SmallMulticlass();
            var path = Path.Combine(dir, "metrics", "test.json");
            report.Save(path);
            var loaded = MetricReport.Load(path);
            Assert.Equal(report.Task, loaded.Task);
            Assert.Equal(report.Labels, loaded.Labels);
            Assert.Equal(report.MacroF1, loaded.MacroF1);
            Assert.Equal(report.LogLoss, loaded.LogLoss);
            Assert.Equal(report.RocAucMacro, loaded.RocAucMacro);
            Assert.Equal(report.PerClass.Keys, loaded.PerClass.Keys);
            Assert.Equal(report.PerClass["neutral"].F1, loaded.PerClass["neutral"].F1);
            Assert.Equal(report.ConfusionMatrix.Matrix, loaded.ConfusionMatrix.Matrix);
            Assert.Equal(File.ReadAllText(path), JsonSerializer.Serialize(loaded, AtomicFile.JsonOptions));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Load_reports_malformed_files_as_input_errors()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "bad.json");
            File.WriteAllText(path, "{\"split\": \"test\", \"task\": \"multiclass\",\n \"n\": \"many\"}");
            var e = Assert.Throws<InputException>(() => MetricReport.Load(path));
            Assert.Equal(path, e.File);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("macro_f1")]
    [InlineData("eval_macro_f1")]
    [InlineData("f1_macro")]
    [InlineData("MACRO_F1")]
    public void Get_accepts_keys_and_common_aliases(string key)
    {
        var report = SmallMulticlass();
        Assert.Equal(report.MacroF1, report.Get(key));
    }

    [Fact]
    public void Get_covers_every_scalar_key_and_rejects_unknown_ones()
    {
        var report = SmallMulticlass();
        Assert.Equal(0.8, report.Get(MetricKeys.Accuracy), 1e-15);
        Assert.Equal(report.Accuracy, report.Get(MetricKeys.MicroF1), 1e-15);
        Assert.Equal(report.LogLoss, report.Get("neg_log_loss"));
        Assert.False(report.TryGet(MetricKeys.SamplesF1, out _));
        Assert.False(report.TryGet(MetricKeys.HammingLoss, out _));
        Assert.Throws<ArgumentException>(() => report.Get("f2_macro"));
        foreach (var key in MetricKeys.All.Except([MetricKeys.SamplesF1, MetricKeys.HammingLoss]))
            Assert.True(report.TryGet(key, out var v) && double.IsFinite(v), key);
        Assert.False(MetricKeys.GreaterIsBetter("log_loss"));
        Assert.True(MetricKeys.GreaterIsBetter("eval_accuracy"));
    }

    [Fact]
    public void Metric_definitions_name_each_key_once_and_say_what_summaries_comparisons_and_the_ledger_show()
    {
        Assert.Equal(MetricKeys.All, MetricKeys.Definitions.Select(d => d.Key));
        Assert.Equal(MetricKeys.All.Count, MetricKeys.All.Distinct().Count());
        Assert.Equal(MetricKeys.All.Order(), MetricKeys.Headline.Concat([MetricKeys.MicroPrecision, MetricKeys.MicroRecall,
            MetricKeys.WeightedPrecision, MetricKeys.WeightedRecall]).Order());
        Assert.Equal(MetricKeys.Headline.Take(4), MetricKeys.Compared);
        Assert.Equal(["val_accuracy", "val_macro_f1", "val_micro_f1", "val_weighted_f1", "test_accuracy", "test_macro_f1",
            "test_micro_f1", "test_weighted_f1", "test_roc_auc_macro", "test_pr_auc_macro", "test_log_loss"],
            MetricKeys.LedgerColumns.Select(c => c.Column));
        Assert.Equal("Macro F1", MetricKeys.DisplayName("f1_macro"));
        Assert.Equal("ROC AUC (macro)", MetricKeys.DisplayName(MetricKeys.RocAucMacro));
        Assert.False(MetricKeys.Definition("hamming_loss").GreaterIsBetter);
        Assert.Throws<ArgumentException>(() => MetricKeys.DisplayName("f2_macro"));
    }

    [Fact]
    public void Compute_rejects_inconsistent_inputs()
    {
        Assert.Throws<ArgumentException>(() => MetricReport.Compute("test", Sentiment, [[0], [1]], [[0]], [[1, 0, 0], [0, 1, 0]]));
        Assert.Throws<ArgumentException>(() => MetricReport.Compute("test", Sentiment, [[0, 1]], [[0]], [[1, 0, 0]]));
        Assert.Throws<ArgumentException>(() => MetricReport.Compute("test", Sentiment, [[0]], [[0]], [[1, 0]]));
        Assert.Throws<ArgumentException>(() => MetricReport.Compute("test", Sentiment, [], [], []));
    }
}
