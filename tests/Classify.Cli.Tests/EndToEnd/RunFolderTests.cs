using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;
using Microsoft.Data.Sqlite;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify train --config</c> on 1,500 real tweets: every documented file of the run folder, with its documented content.</summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class RunFolderTests(TrainedTweetsModel model)
{
    private static readonly string[] Labels = ["negative", "neutral", "positive"];

    internal static readonly string[] SingleLabelMetricKeys =
    [
        "split", "task", "labels", "n", "accuracy", "macro_f1", "micro_f1", "weighted_f1", "macro_precision", "macro_recall",
        "micro_precision", "micro_recall", "weighted_precision", "weighted_recall", "roc_auc_macro", "pr_auc_macro", "log_loss",
        "brier_score", "per_class", "confusion_matrix",
    ];

    private JsonObject RunJson => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(model.RunDir, "run.json")))!;

    [Fact]
    public void Train_writes_every_documented_file()
    {
        string[] files =
        [
            "run.json", "splits/train_ids.csv", "splits/val_ids.csv", "splits/test_ids.csv", "model/classify.json", "metrics/val.json",
            "metrics/test.json", "predictions/val.csv", "predictions/test.csv", "search/grid.csv", "report.html", "model/MODEL_CARD.md",
            "summary_report.txt",
        ];
        foreach (var f in files)
        {
            var path = Path.Combine(model.RunDir, f);
            Assert.True(File.Exists(path), $"missing {f}\n{model.Train}");
            Assert.True(new FileInfo(path).Length > 0, $"{f} is empty");
        }
        Assert.Contains("run folder:", model.Train.StderrUnwrapped);
        Assert.Contains("macro_f1", model.Train.Stdout);
    }

    [Fact]
    public void Run_json_records_status_seed_data_hash_and_split_sizes()
    {
        var run = RunJson;
        Assert.Equal("completed", (string?)run["status"]);
        Assert.Equal(TrainedTweetsModel.RunName, (string?)run["name"]);
        Assert.Equal(7, (int?)run["seed"]);
        Assert.Equal("multiclass", (string?)run["task"]);
        Assert.Equal("linear", (string?)run["engine"]);
        Assert.Equal(Labels, run["labels"]!.AsArray().Select(n => (string?)n));

        var expectedSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(DataSlices.Tweets)));
        Assert.Equal(expectedSha, (string?)run["data"]!["sha256"]);
        Assert.Equal(1500, (long?)run["data"]!["rows_read"]);
        long used = (long)run["data"]!["rows_used"]!;
        Assert.Equal(1500, used + (long)run["data"]!["empty_dropped"]! + (long)run["data"]!["duplicates_dropped"]!);

        var sizes = run["split_sizes"]!.AsObject();
        Assert.Equal(used, sizes.Sum(kv => (long)kv.Value!));
        foreach (var split in new[] { "train", "val", "test" })
            Assert.Equal((int)sizes[split]!, File.ReadAllLines(Path.Combine(model.RunDir, "splits", $"{split}_ids.csv")).Length - 1);
        Assert.InRange((int)sizes["train"]!, (int)(used * 0.68), (int)(used * 0.72));

        Assert.Equal("sentiment", (string?)run["config"]!["data"]!["label_col"]);
        Assert.Equal("macro_f1", (string?)run["best"]!["metric"]);
        Assert.NotNull(run["best"]!["params"]!["C"]);
        Assert.True((double)run["timings"]!["total_seconds"]! > 0);
        Assert.NotNull(run["finished_utc"]);
    }

    [Theory]
    [InlineData("val")]
    [InlineData("test")]
    public void Metrics_json_has_the_documented_keys(string split)
    {
        var metrics = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(model.RunDir, "metrics", $"{split}.json")))!;
        foreach (var key in SingleLabelMetricKeys) Assert.True(metrics.ContainsKey(key), $"metrics/{split}.json lacks '{key}'");
        Assert.False(metrics.ContainsKey("samples_f1"), "samples_f1 is multilabel only");
        Assert.False(metrics.ContainsKey("hamming_loss"), "hamming_loss is multilabel only");
        Assert.Equal(split, (string?)metrics["split"]);
        Assert.Equal((int)RunJson["split_sizes"]![split]!, (int)metrics["n"]!);
        Assert.InRange((double)metrics["macro_f1"]!, 0.4, 1.0);   // 1,500 tweets: well above chance (0.33), far from perfect
        Assert.Equal(Labels, metrics["per_class"]!.AsObject().Select(kv => kv.Key).Order());
        foreach (var (_, perClass) in metrics["per_class"]!.AsObject())
            foreach (var key in new[] { "precision", "recall", "f1", "support", "roc_auc", "pr_auc" })
                Assert.True(perClass!.AsObject().ContainsKey(key), $"per_class entry lacks '{key}'");
        var matrix = metrics["confusion_matrix"]!["matrix"]!.AsArray();
        Assert.Equal(3, matrix.Count);
        Assert.Equal((int)metrics["n"]!, matrix.Sum(row => row!.AsArray().Sum(c => (int)c!)));
    }

    [Theory]
    [InlineData("val")]
    [InlineData("test")]
    public void Predictions_csv_has_id_text_gold_pred_and_one_probability_per_label(string split)
    {
        var table = CsvTable.Read(Path.Combine(model.RunDir, "predictions", $"{split}.csv"));
        Assert.Equal(new[] { "id", "text", "gold", "pred", "p_negative", "p_neutral", "p_positive" }, table.Header);
        var ids = File.ReadAllLines(Path.Combine(model.RunDir, "splits", $"{split}_ids.csv")).Skip(1).ToHashSet();
        Assert.Equal(ids.Count, table.Rows.Count);
        Assert.Equal(ids, table.Column("id").ToHashSet()!);
        foreach (var row in table.Rows)
        {
            Assert.Contains(row[2], Labels);
            Assert.Contains(row[3], Labels);
            var p = Enumerable.Range(4, row.Count - 4).Select(i => double.Parse(row[i]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(1.0, p.Sum(), 9);
            Assert.Equal(Labels[Array.IndexOf(p, p.Max())], row[3]);
        }
    }

    [Fact]
    public void Search_grid_csv_has_one_row_per_candidate_with_sklearn_column_names()
    {
        var grid = CsvTable.Read(Path.Combine(model.RunDir, "search", "grid.csv"));
        foreach (var col in new[] { "rank", "param_C", "mean_test_score", "std_test_score", "split0_test_score", "split1_test_score", "split2_test_score", "mean_fit_seconds" })
            Assert.Contains(col, grid.Header);
        Assert.DoesNotContain("split3_test_score", grid.Header);
        Assert.Equal(2, grid.Rows.Count);
        Assert.Equal(new[] { "0.5", "2" }, grid.Column("param_C").Select(c => double.Parse(c!, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public void Ledger_has_a_completed_row_with_metrics_and_trials()
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(model.RunsDir, "ledger.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT run_id, status, engine, task, data_sha256, seed, n_train, test_macro_f1, val_macro_f1, run_dir FROM runs WHERE name = $name";
        cmd.Parameters.AddWithValue("$name", TrainedTweetsModel.RunName);
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read(), "no ledger row for the run");
        var runId = reader.GetString(0);
        Assert.Equal("completed", reader.GetString(1));
        Assert.Equal("linear", reader.GetString(2));
        Assert.Equal("multiclass", reader.GetString(3));
        Assert.Equal((string?)RunJson["data"]!["sha256"], reader.GetString(4));
        Assert.Equal(7, reader.GetInt64(5));
        Assert.Equal((long)RunJson["split_sizes"]!["train"]!, reader.GetInt64(6));
        var testF1 = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(model.RunDir, "metrics", "test.json")))!["macro_f1"]!;
        Assert.Equal(testF1, reader.GetDouble(7), 12);
        Assert.False(reader.IsDBNull(8));
        Assert.Equal(Path.GetFullPath(model.RunDir), Path.GetFullPath(reader.GetString(9)));
        Assert.False(reader.Read(), "one run, one row");

        using var trials = db.CreateCommand();
        trials.CommandText = "SELECT COUNT(*) FROM trials WHERE run_id = $id";
        trials.Parameters.AddWithValue("$id", runId);
        Assert.Equal(2L, (long)trials.ExecuteScalar()!);
        using var perClass = db.CreateCommand();
        perClass.CommandText = "SELECT COUNT(*) FROM per_class_metrics WHERE run_id = $id";
        perClass.Parameters.AddWithValue("$id", runId);
        Assert.Equal(6L, (long)perClass.ExecuteScalar()!);   // 3 labels x (val, test)
    }

    [Fact]
    public void Model_card_report_and_summary_describe_the_run()
    {
        var card = File.ReadAllText(Path.Combine(model.ModelDir, "MODEL_CARD.md"));
        Assert.Contains("positive", card);
        var html = File.ReadAllText(Path.Combine(model.RunDir, "report.html"));
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(TrainedTweetsModel.RunName, html);
        var summary = File.ReadAllText(Path.Combine(model.RunDir, "summary_report.txt"));
        Assert.Contains("macro_f1", summary);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(model.ModelDir, "classify.json")))!;
        Assert.Equal("linear", (string?)manifest["engine"]);
        Assert.Equal(Labels, manifest["labels"]!.AsArray().Select(n => (string?)n));
        Assert.True((bool)manifest["cleaning"]!["lowercase"]!);
    }
}
