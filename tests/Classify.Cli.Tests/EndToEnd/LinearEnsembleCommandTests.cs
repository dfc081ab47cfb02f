using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.BadInput;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>linear.ensemble: k</c> from the command line on the 1,500-tweet slice: the run is the shared tweets model's run
/// plus k members (same predictions and metrics), whose spread gives epistemic uncertainty in train, eval and predict;
/// bad sizes exit 2 naming file, line and key, and write nothing.
/// </summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class LinearEnsembleCommandTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private const string RunName = "tweets-ensemble";

    /// <summary>The shared model's config with <c>linear.ensemble</c> set to <paramref name="ensemble"/>.</summary>
    private string Config(string ensemble) => _ws.Write($"ensemble-{Guid.NewGuid():N}.yaml",
        TrainedTweetsModel.Config(RunName, DataSlices.Tweets).Replace("    scoring: macro_f1", $"    scoring: macro_f1\n  ensemble: {ensemble}", StringComparison.Ordinal));

    private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void An_ensemble_run_keeps_the_single_models_predictions_and_metrics_and_adds_epistemic_uncertainty()
    {
        CliRunner.Ok("train", "--config", Config("4"), "--runs-dir", _ws.RunsDir, "--no-report");
        var run = Path.Combine(_ws.RunsDir, RunName);
        var members = Directory.GetDirectories(Path.Combine(run, "model", "ensemble")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["member_000", "member_001", "member_002", "member_003"], members);

        foreach (var split in new[] { "val", "test" })
        {
            // Same numbers as the shared single-model run (everything before the timestamp).
            Assert.Equal(File.ReadAllText(Path.Combine(model.RunDir, "metrics", $"{split}.json")).Split("\"created_utc\"")[0],
                File.ReadAllText(Path.Combine(run, "metrics", $"{split}.json")).Split("\"created_utc\"")[0]);
            var single = CsvTable.Read(Path.Combine(model.RunDir, "predictions", $"{split}.csv"));
            var table = CsvTable.Read(Path.Combine(run, "predictions", $"{split}.csv"));
            foreach (var column in new[] { "id", "pred", "p_negative", "p_neutral", "p_positive" })
                Assert.Equal(single.Column(column), table.Column(column));
            var predictive = table.Column("predictive_entropy").Select(Number).ToArray();
            var aleatoric = table.Column("aleatoric").Select(Number).ToArray();
            var epistemic = table.Column("epistemic").Select(Number).ToArray();
            for (int i = 0; i < predictive.Length; i++) Assert.Equal(predictive[i], aleatoric[i] + epistemic[i], 9);
            Assert.All(epistemic, e => Assert.True(e >= 0));
            Assert.True(epistemic.Average() > 1e-4, $"{split}: mean epistemic {epistemic.Average()}");
            Assert.Contains(table.Column("std_positive"), s => Number(s) > 0);
        }

        // predict: every row's uncertainty comes from the members; --mc-samples does not apply to an ensemble.
        var json = JsonNode.Parse(CliRunner.Ok("predict", "--model", Path.Combine(run, "model"), "--format", "json", "what a day").Stdout.Trim())!;
        Assert.True((double)json["uncertainty"]!["epistemic"]! > 0);
        var refused = CliRunner.Run("predict", "--model", Path.Combine(run, "model"), "--mc-samples", "3", "what a day");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("ensemble", refused.Stderr);

        // eval of the package writes the members' uncertainty columns without being asked.
        CliRunner.Ok("eval", "--model", Path.Combine(run, "model"), "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "ensemble-eval", "--runs-dir", _ws.RunsDir, "--no-report");
        var evaluated = CsvTable.Read(Path.Combine(_ws.RunsDir, "ensemble-eval", "predictions", "test.csv"));
        Assert.Contains(evaluated.Column("epistemic"), e => Number(e) > 0);

        // suggest --strategy epistemic ranks by the members' disagreement (refused for the single linear model).
        var queue = _ws.PathOf("queue.csv");
        CliRunner.Ok("suggest", "--model", Path.Combine(run, "model"), "--input", DataSlices.TweetsTest, "--k", "20", "--strategy", "epistemic", "--output", queue);
        var scores = CsvTable.Read(queue).Column("epistemic").Select(Number).ToArray();
        Assert.Equal(20, scores.Length);
        Assert.True(scores[0] > 0 && scores.SequenceEqual(scores.OrderDescending()), string.Join(", ", scores));
        Assert.Equal(2, CliRunner.Run("suggest", "--model", Path.Combine(run, "model"), "--input", DataSlices.TweetsTest, "--mc-samples", "5").ExitCode);
    }

    [Fact]
    public void Monte_Carlo_samples_for_an_ensemble_exit_2_naming_the_uncertainty_key()
    {
        var config = _ws.Write("sampled.yaml", File.ReadAllText(Config("3")) + "\nuncertainty:\n  mc_samples: 5\n");
        var result = CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir);
        BadInputTests.AssertInputError(_ws, result, "'uncertainty.mc_samples'", "this model is an ensemble");
    }

    [Theory]
    [InlineData("0", "from 2 to 100")]
    [InlineData("1", "leave the key out")]
    [InlineData("1000", "from 2 to 100")]
    [InlineData("2.5", "whole number")]
    [InlineData("lots", "number")]
    public void A_bad_ensemble_size_exits_2_naming_file_line_and_key_and_writes_nothing(string value, string mention)
    {
        var config = Config(value);
        int line = Array.FindIndex(File.ReadAllLines(config), l => l.TrimStart().StartsWith("ensemble:", StringComparison.Ordinal)) + 1;
        var result = CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir);
        BadInputTests.AssertInputError(_ws, result, $"{config}:{line}", "'linear.ensemble'", mention);
    }
}
