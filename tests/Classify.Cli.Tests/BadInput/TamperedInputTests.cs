using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// A hand-edited model package and engine options that cannot work: exit 2 with one message naming the file and the
/// field, and nothing written (no output, no run folder, no ledger).
/// </summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class TamperedInputTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>A copy of the trained package with classify.json edited by <paramref name="edit"/>.</summary>
    private string TamperedCopy(Action<JsonObject> edit)
    {
        var dir = Directory.CreateDirectory(_ws.PathOf("tampered-model")).FullName;
        foreach (var file in Directory.GetFiles(model.ModelDir)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        var manifest = Path.Combine(dir, "classify.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        edit(json);
        File.WriteAllText(manifest, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    private void AssertOneLineInputError(CliResult result, params string[] mentions)
    {
        BadInputTests.AssertInputError(_ws, result, mentions);
        Assert.False(File.Exists(Path.Combine(_ws.RunsDir, "ledger.db")), "no ledger for bad input");
    }

    [Fact]
    public void Predict_with_a_multiclass_model_relabelled_multilabel_exits_2_naming_task_on_one_line()
    {
        var dir = TamperedCopy(j => j["task"] = "multilabel");
        var result = CliRunner.RunProcess(["predict", "--model", dir, "I love this"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error:", line);
        Assert.Contains(Path.Combine(dir, "classify.json"), line);
        Assert.Contains("'task'", line);
        Assert.Empty(result.Stdout.Trim());
    }

    public static TheoryData<string, string, string> Tamperings => new()
    {
        { "temperature", "-1", "positive" },
        { "temperature", "0", "positive" },
        { "format_version", "99", "upgrade Classify" },
        { "format", "\"other\"", "classify-model" },
        { "labels", "[\"negative\", \"neutral\", \"negative\"]", "appears twice" },
        { "labels", "[\"a\", \"b\", \"c\", \"d\"]", "3 classes" },
        { "labels", "[]", "no labels" },
        { "task", "\"regression\"", "unknown task" },
        { "thresholds", "[0.5, 1.5, 0.2]", "[0, 1]" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Predict_with_a_tampered_manifest_exits_2_naming_the_field(string field, string value, string mention)
    {
        var dir = TamperedCopy(j => j[field] = JsonNode.Parse(value));
        var output = _ws.PathOf("out.csv");
        var input = _ws.Write("in.csv", "text\nI love this\n");
        var result = CliRunner.Run("predict", "--model", dir, "--input", input, "--output", output);
        AssertOneLineInputError(result, Path.Combine(dir, "classify.json"), $"'{field}'", mention);
        Assert.False(File.Exists(output));
    }

    private CliResult TrainWith(string linear)
    {
        var config = _ws.Write("bad.yaml", $"name: bad\nseed: 7\ndata:\n  path: {DataSlices.Tweets}\n  label_col: sentiment\n  id_col: textID\nengine: linear\n{linear}");
        return CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir);
    }

    [Theory]
    [InlineData("linear:\n  search:\n    grid: {C: [1, 2]}\n    cv: 1\n", "linear.search.cv", "cv must be 0")]
    [InlineData("linear:\n  search:\n    grid: {C: [1, 2]}\n    scoring: f2\n", "linear.search.scoring", "unknown metric 'f2'")]
    [InlineData("linear:\n  search:\n    grid: {C: [1, 2]}\n    scoring: hamming_loss\n", "linear.search.scoring", "multilabel")]
    [InlineData("linear:\n  logreg:\n    class_weight: {negative: -1, neutral: 1, positive: 1}\n", "linear.logreg.class_weight.negative", "≥ 0")]
    [InlineData("linear:\n  tfidf: {min_df: 5, max_df: 3}\n", "linear.tfidf.max_df", "below min_df")]
    [InlineData("linear:\n  tfidf: {min_df: 0.5, max_df: 0.1}\n", "linear.tfidf.max_df", "below min_df")]
    public void Train_with_engine_options_that_cannot_work_exits_2_before_writing(string linear, string key, string mention)
    {
        var result = TrainWith(linear);
        AssertOneLineInputError(result, _ws.PathOf("bad.yaml"), key, mention);
    }

    // These need the split (class sizes, training-set size): LinearTrainer.CheckTrainingData finds them, but only once
    // Experiment.Prepare calls it are they reported before the run folder and the ledger row exist.
    [Theory]
    [InlineData("linear:\n  search:\n    grid: {C: [1, 2]}\n    cv: 1000\n", "linear.search.cv", "every class has fewer")]
    [InlineData("linear:\n  tfidf: {min_df: 5, max_df: 0.001}\n", "linear.tfidf.max_df", "fewer than min_df")]
    public void Train_with_options_the_training_split_cannot_satisfy_exits_2_before_writing(string linear, string key, string mention)
    {
        var result = TrainWith(linear);
        AssertOneLineInputError(result, _ws.PathOf("bad.yaml"), key, mention);
    }
}
