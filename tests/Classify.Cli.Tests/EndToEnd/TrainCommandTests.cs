using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify train</c> variants, each in its own workspace: saved splits, flags, overrides, multi-label, targets.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    // No search: one fit, the cheapest useful training.
    private static string PlainConfig(string name, string data) => $"""
        name: {name}
        seed: 3
        data:
          path: {data}
          label_col: sentiment
          id_col: textID
        linear:
          tfidf:
            min_df: 2
            max_features: 5000
        """;

    private static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    [Fact]
    public void Rerunning_a_config_with_overwrite_reuses_the_saved_split_ids()
    {
        var config = _ws.Write("plain.yaml", PlainConfig("rerun", DataSlices.Tweets));
        CliRunner.Ok("train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report");
        var splits = Path.Combine(_ws.RunsDir, "rerun", "splits");
        var first = new[] { "train", "val", "test" }.ToDictionary(s => s, s => File.ReadAllBytes(Path.Combine(splits, $"{s}_ids.csv")));

        // A different seed would draw a different split: identical files prove the saved ids were reused.
        var second = CliRunner.Ok("train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report", "--set", "seed=99", "--overwrite");
        foreach (var (split, bytes) in first)
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(splits, $"{split}_ids.csv")));
        Assert.Contains("reusing the saved ids", second.StderrUnwrapped);
        Assert.Equal(99, (int?)ReadJson(Path.Combine(_ws.RunsDir, "rerun", "run.json"))["seed"]);
    }

    [Fact]
    public void A_sample_and_oversampling_are_recorded_in_run_json()
    {
        CliRunner.Ok("train", "--data", DataSlices.Tweets, "--text-col", "text", "--label-col", "sentiment", "--id-col", "textID",
            "--name", "sampled", "--runs-dir", _ws.RunsDir, "--no-report", "--set", "data.sample=300", "--set", "data.oversample=true",
            "--set", "linear.tfidf.max_features=2000");
        var data = ReadJson(Path.Combine(_ws.RunsDir, "sampled", "run.json"))["data"]!;
        Assert.Equal("300", (string?)data["sample"]);
        Assert.Equal(300, (int?)data["rows_used"]);
        Assert.True((int?)data["rows_before_sample"] > 1000);
        Assert.True((int?)data["oversampled_rows"] > 0);
        var sizes = new[] { "train", "val", "test" }.Sum(s => File.ReadAllLines(Path.Combine(_ws.RunsDir, "sampled", "splits", $"{s}_ids.csv")).Length - 1);
        Assert.Equal(300, sizes);   // the split ids hold the sample once, without the copies
    }

    [Fact]
    public void Flags_replace_a_config_file()
    {
        CliRunner.Ok("train", "--data", DataSlices.Tweets, "--text-col", "text", "--label-col", "sentiment", "--id-col", "textID",
            "--name", "from-flags", "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.tfidf.max_features=5000");
        var run = ReadJson(Path.Combine(_ws.RunsDir, "from-flags", "run.json"));
        Assert.Equal("completed", (string?)run["status"]);
        Assert.Equal(42, (int?)run["seed"]);   // the documented default
        Assert.Equal(Path.GetFullPath(DataSlices.Tweets), Path.GetFullPath((string)run["config"]!["data"]!["path"]!));
        Assert.Equal("sentiment", (string?)run["config"]!["data"]!["label_col"]);
        Assert.Equal(5000, (int?)run["config"]!["linear"]!["tfidf"]!["max_features"]);
        Assert.True(File.Exists(Path.Combine(_ws.RunsDir, "from-flags", "model", "classify.json")));
        Assert.True(File.Exists(Path.Combine(_ws.RunsDir, "from-flags", "metrics", "test.json")));
    }

    [Fact]
    public void Train_with_only_data_flags_fits_the_zero_config_recipe()
    {
        CliRunner.Ok("train", "--data", DataSlices.Tweets, "--text-col", "text", "--label-col", "sentiment", "--id-col", "textID",
            "--name", "zero-config", "--runs-dir", _ws.RunsDir, "--no-report");
        var run = ReadJson(Path.Combine(_ws.RunsDir, "zero-config", "run.json"));
        Assert.Equal("completed", (string?)run["status"]);
        Assert.Null(run["config"]!["linear"]);   // nothing configured …
        var training = run["training"]!;         // … and the recipe of docs/defaults.md resolved
        Assert.Equal("[1,2]", training["tfidf"]!["ngram_range"]!.ToJsonString());
        Assert.Equal(2, (int?)training["tfidf"]!["min_df"]);
        Assert.True((bool?)training["tfidf"]!["sublinear_tf"]);
        Assert.Equal(@"(?u)\b\w+\b|[^\w\s]", (string?)training["tfidf"]!["token_pattern"]);
        Assert.Equal(2.0, (double?)training["logreg"]!["C"]);
        Assert.Equal("balanced", (string?)training["logreg"]!["class_weight"]);
        Assert.Equal("liblinear", (string?)training["logreg"]!["solver"]);
        Assert.Null(run["best"]);                 // no search
    }

    [Fact]
    public void On_a_corpus_too_small_for_the_default_min_df_the_zero_config_falls_back_to_min_df_1()
    {
        var data = _ws.Write("tiny.csv", "text,label\nhello world,a\ngood day,b\nbad night,a\nfine morning,b\nsunny sky,a\nrainy road,b\nblue moon,a\nred sun,b\n");
        var result = CliRunner.Ok("train", "--data", data, "--name", "tiny", "--runs-dir", _ws.RunsDir, "--no-report");
        Assert.Contains("using min_df 1", result.StderrUnwrapped);
        Assert.Equal(1, (int?)ReadJson(Path.Combine(_ws.RunsDir, "tiny", "run.json"))["training"]!["tfidf"]!["min_df"]);
        // a min_df that was written is never relaxed
        var written = CliRunner.Run("train", "--data", data, "--name", "tiny2", "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.tfidf.min_df=2");
        Assert.NotEqual(0, written.ExitCode);
        Assert.Contains("no terms remain", written.StderrUnwrapped);
    }

    [Fact]
    public void Set_overrides_a_key_of_the_config_file()
    {
        var config = _ws.Write("grid.yaml", TrainedTweetsModel.Config("cv2", DataSlices.Tweets));
        CliRunner.Ok("train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.search.cv=2");
        var run = ReadJson(Path.Combine(_ws.RunsDir, "cv2", "run.json"));
        Assert.Equal(2, (int?)run["config"]!["linear"]!["search"]!["cv"]);
        var grid = CsvTable.Read(Path.Combine(_ws.RunsDir, "cv2", "search", "grid.csv"));
        Assert.Contains("split1_test_score", grid.Header);
        Assert.DoesNotContain("split2_test_score", grid.Header);
        Assert.Contains("2-fold", run["best"]!["selection"]!.ToString());
    }

    [Fact]
    public void Multilabel_config_with_tuned_thresholds_saves_them_in_the_package()
    {
        var config = _ws.Write("goemotions.yaml", $"""
            name: goemo
            data:
              path: {DataSlices.GoEmotions}
              id_col: id
              split_col: split
              multilabel: true
              labels_file: {DataSlices.EmotionsFile}
            linear:
              tfidf:
                min_df: 2
                max_features: 5000
              logreg:
                class_weight: balanced
            decision:
              tune_thresholds: true
            """);
        var result = CliRunner.Ok("train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report");
        var runDir = Path.Combine(_ws.RunsDir, "goemo");
        var manifest = ReadJson(Path.Combine(runDir, "model", "classify.json"));
        Assert.Equal("multilabel", (string?)manifest["task"]);
        Assert.Equal(28, manifest["labels"]!.AsArray().Count);
        var thresholds = manifest["thresholds"]!.AsArray().Select(t => (double)t!).ToArray();
        Assert.Equal(28, thresholds.Length);
        Assert.All(thresholds, t => Assert.InRange(t, 0.0, 1.0));
        Assert.Contains(thresholds, t => t != 0.5);   // tuned, not the default
        Assert.Contains("thresholds tuned", result.StderrUnwrapped);

        var run = ReadJson(Path.Combine(runDir, "run.json"));
        Assert.Equal(new[] { 1400, 300, 300 }, new[] { "train", "val", "test" }.Select(s => (int)run["split_sizes"]![s]!));
        var metrics = ReadJson(Path.Combine(runDir, "metrics", "test.json"));
        foreach (var key in new[] { "samples_f1", "hamming_loss", "macro_f1", "accuracy", "log_loss" }) Assert.True(metrics.ContainsKey(key), key);
        Assert.Equal(28, metrics["confusion_matrix"]!["per_label"]!.AsArray().Count);
        var predictions = CsvTable.Read(Path.Combine(runDir, "predictions", "test.csv"));
        Assert.Equal(4 + 28, predictions.Header.Count);
        Assert.Contains(predictions.Column("gold"), g => g!.Contains('|'));   // some comments carry two emotions
    }

    [Fact]
    public void Multilabel_flag_trains_a_multilabel_model_without_a_config()
    {
        CliRunner.Ok("train", "--data", DataSlices.GoEmotions, "--id-col", "id", "--split-col", "split", "--multilabel",
            "--labels-file", DataSlices.EmotionsFile, "--name", "goemo-flags", "--runs-dir", _ws.RunsDir, "--no-report",
            "--set", "linear.tfidf.max_features=3000");
        var manifest = ReadJson(Path.Combine(_ws.RunsDir, "goemo-flags", "model", "classify.json"));
        Assert.Equal("multilabel", (string?)manifest["task"]);
        var metrics = ReadJson(Path.Combine(_ws.RunsDir, "goemo-flags", "metrics", "val.json"));
        Assert.Equal("multilabel", (string?)metrics["task"]);
        Assert.True(metrics.ContainsKey("samples_f1"));
    }

    [Fact]
    public void Unmet_target_with_fail_on_target_exits_3()
    {
        var config = _ws.Write("plain.yaml", PlainConfig("target", DataSlices.Tweets));
        var result = CliRunner.RunExpecting(3, "train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report",
            "--target", "macro_f1>=0.99", "--fail-on-target");
        Assert.Contains("not met", result.Stdout);
        Assert.Contains("not met", File.ReadAllText(Path.Combine(_ws.RunsDir, "target", "summary_report.txt")));
        // The run itself completed: the target is a verdict on it, not a failure of it.
        Assert.Equal("completed", (string?)ReadJson(Path.Combine(_ws.RunsDir, "target", "run.json"))["status"]);
    }

    [Fact]
    public void Met_target_exits_0()
    {
        var config = _ws.Write("plain.yaml", PlainConfig("target-met", DataSlices.Tweets));
        var result = CliRunner.Ok("train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report", "--target", "accuracy>=0.3", "--fail-on-target");
        Assert.Contains("target met", result.Stdout);
    }

    [Fact]
    public void Group_column_keeps_each_conversation_in_one_split()
    {
        CliRunner.Ok("train", "--data", DataSlices.AnnoMi, "--text-col", "utterance_text", "--label-col", "main_therapist_behaviour",
            "--group-col", "transcript_id", "--name", "annomi", "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.tfidf.max_features=3000");
        // Without an id column the ids are the 1-based row numbers of the file.
        var transcripts = CsvTable.Read(DataSlices.AnnoMi).Column("transcript_id").ToArray();
        var splitOf = new Dictionary<string, string>();
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var id in File.ReadAllLines(Path.Combine(_ws.RunsDir, "annomi", "splits", $"{split}_ids.csv")).Skip(1))
            {
                var transcript = transcripts[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) - 1]!;
                Assert.Equal(split, splitOf.TryAdd(transcript, split) ? split : splitOf[transcript]);
            }
        Assert.Equal(3, splitOf.Values.Distinct().Count());
        var metrics = ReadJson(Path.Combine(_ws.RunsDir, "annomi", "metrics", "test.json"));
        Assert.Contains("reflection", metrics["labels"]!.AsArray().Select(n => (string?)n));
    }
}
