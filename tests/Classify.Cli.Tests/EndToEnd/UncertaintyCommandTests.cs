using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.BadInput;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// Uncertainty of the linear tweets model from the command line: every prediction carries its single-pass uncertainty
/// (predictive entropy = aleatoric, epistemic 0), every evaluation writes rejection curves, and Monte-Carlo dropout is
/// refused for it with exit 2.
/// </summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class LinearUncertaintyTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Json_predictions_carry_the_single_pass_entropy_with_epistemic_zero()
    {
        var result = CliRunner.Ok("predict", "--model", model.ModelDir, "--format", "json", "Happy birthday, love you", "I am at home");
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var o = JsonNode.Parse(line)!.AsObject();
            var p = o["probabilities"]!.AsObject().Select(kv => (double)kv.Value!).ToArray();
            var u = o["uncertainty"]!.AsObject();
            Assert.Equal(["predictive_entropy", "aleatoric", "epistemic", "std"], u.Select(kv => kv.Key));
            Assert.Equal(-p.Sum(x => x * Math.Log(x)), (double)u["predictive_entropy"]!, 12);
            Assert.Equal((double)u["predictive_entropy"]!, (double)u["aleatoric"]!);
            Assert.Equal(0.0, (double)u["epistemic"]!);
            Assert.All(u["std"]!.AsObject(), kv => Assert.Equal(0.0, (double)kv.Value!));
        }
    }

    [Fact]
    public void Eval_writes_rejection_curves_and_uncertainty_columns_when_asked()
    {
        CliRunner.Ok("eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "plain", "--runs-dir", _ws.RunsDir, "--no-report");
        var plain = Path.Combine(_ws.RunsDir, "plain");
        Assert.DoesNotContain("epistemic", CsvTable.Read(Path.Combine(plain, "predictions", "test.csv")).Header);
        var curves = CsvTable.Read(Path.Combine(plain, "metrics", "rejection_test.csv"));
        Assert.Equal(["unit", "ranker", "rejected_fraction", "coverage", "kept", "accuracy", "aurc"], curves.Header);
        Assert.Equal(["max_probability", "predictive_entropy", "aleatoric", "epistemic", "random", "oracle"], curves.Column("ranker").Distinct());

        CliRunner.Ok("eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "with-columns", "--runs-dir", _ws.RunsDir, "--no-report", "--mc-samples", "1");
        var table = CsvTable.Read(Path.Combine(_ws.RunsDir, "with-columns", "predictions", "test.csv"));
        Assert.Equal(["predictive_entropy", "aleatoric", "epistemic", "std_negative", "std_neutral", "std_positive"], table.Header.Skip(7));
        Assert.All(table.Column("epistemic"), e => Assert.Equal("0", e));
        // The uncertainty changes no prediction and no metric.
        Assert.Equal(File.ReadAllText(Path.Combine(plain, "metrics", "test.json")).Split("\"created_utc\"")[0],
            File.ReadAllText(Path.Combine(_ws.RunsDir, "with-columns", "metrics", "test.json")).Split("\"created_utc\"")[0]);
    }

    [Theory]
    [InlineData("--mc-samples", "0", "between 1 and 10,000")]
    [InlineData("--mc-samples", "-3", "between 1 and 10,000")]
    [InlineData("--mc-samples", "10001", "between 1 and 10,000")]
    [InlineData("--mc-samples", "99999999999", "between 1 and 10,000")]
    [InlineData("--mc-samples", "2.5", "whole number")]
    [InlineData("--mc-samples", "many", "whole number")]
    [InlineData("--mc-samples", "5", "has no dropout: epistemic uncertainty would be 0")]
    [InlineData("--mc-batch-size", "0", "at least 1")]
    [InlineData("--mc-batch-size", "-1", "at least 1")]
    [InlineData("--seed", "-1", "whole number")]
    public void Bad_uncertainty_flags_exit_2_naming_the_flag_and_write_nothing(string flag, string value, string mention)
    {
        var input = _ws.Write("in.csv", "text\nhello there\n");
        var output = _ws.PathOf("out.csv");
        var result = CliRunner.Run("predict", "--model", model.ModelDir, "--input", input, "--output", output, $"{flag}={value}");
        BadInputTests.AssertInputError(_ws, result, $"'{flag}'", mention);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));

        var eval = CliRunner.Run("eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "bad", "--runs-dir", _ws.RunsDir, $"{flag}={value}");
        BadInputTests.AssertInputError(_ws, eval, $"'{flag}'", mention);
    }

    [Fact]
    public void Training_a_linear_model_with_mc_samples_is_refused_before_anything_is_written()
    {
        var config = _ws.Write("mc.yaml", TrainedTweetsModel.Config("linear-mc", DataSlices.Tweets400, "uncertainty:\n  mc_samples: 10\n"));
        var result = CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir);
        BadInputTests.AssertInputError(_ws, result, config, "uncertainty.mc_samples", "has no dropout: epistemic uncertainty would be 0");

        var typo = _ws.Write("typo.yaml", TrainedTweetsModel.Config("linear-typo", DataSlices.Tweets400, "uncertainty:\n  mc_sample: 10\n"));
        BadInputTests.AssertInputError(_ws, CliRunner.Run("train", "--config", typo, "--runs-dir", _ws.RunsDir), typo, "uncertainty.mc_sample");
    }
}

/// <summary>A scratch BERT-tiny trained for a few steps with <c>uncertainty: {mc_samples: 4, mc_batch_size: 32}</c>, shared by <see cref="TransformerUncertaintyTests"/>.</summary>
public sealed class UncertainTransformer : IDisposable
{
    internal const string Name = "tx-mc";

    public UncertainTransformer()
    {
        Workspace = new Workspace();
        var config = Workspace.Write("tx.yaml", ScratchTransformer.Config(Name, maxSteps: 6, extra: """
            uncertainty:
              mc_samples: 4
              mc_batch_size: 32
            """));
        Train = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", Workspace.RunsDir],
            timeout: TimeSpan.FromMinutes(3), environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = Workspace.PathOf("cache") });
    }

    internal Workspace Workspace { get; }
    internal CliResult Train { get; }
    internal string RunDir => Path.Combine(Workspace.RunsDir, Name);
    internal string ModelDir => Path.Combine(RunDir, "model");

    public void Dispose() => Workspace.Dispose();
}

/// <summary>
/// Monte-Carlo dropout end to end with a real (scratch) transformer: train and eval save the per-example uncertainty
/// and the rejection curves, <c>predict</c> uses the package's <c>mc_samples</c>, a seed reproduces the output, and a
/// model whose dropouts are all 0 is refused.
/// </summary>
public sealed class TransformerUncertaintyTests(UncertainTransformer model) : IClassFixture<UncertainTransformer>, IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private void Trained() => Assert.True(model.Train.ExitCode == 0, model.Train.ToString());

    private static double Number(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("val")]
    [InlineData("test")]
    public void Training_saves_uncertainty_columns_and_rejection_curves(string split)
    {
        Trained();
        var table = CsvTable.Read(Path.Combine(model.RunDir, "predictions", $"{split}.csv"));
        Assert.Equal(["id", "text", "gold", "pred", "p_negative", "p_neutral", "p_positive", "predictive_entropy", "aleatoric", "epistemic",
            "std_negative", "std_neutral", "std_positive"], table.Header);
        Assert.All(table.Rows, r =>
        {
            Assert.True(Number(r[9]!) >= 0);
            Assert.Equal(Number(r[7]!), Number(r[8]!) + Number(r[9]!), 9);
        });
        Assert.Contains(table.Column("epistemic"), e => Number(e) > 0);
        Assert.Contains(table.Column("std_neutral"), s => Number(s) > 0);
        var curves = CsvTable.Read(Path.Combine(model.RunDir, "metrics", $"rejection_{split}.csv"));
        Assert.Equal(6 * 19, curves.Rows.Count);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(model.ModelDir, "classify.json")))!;
        Assert.Equal(4, (int)manifest["uncertainty"]!["mc_samples"]!);
        Assert.Equal(32, (int)manifest["uncertainty"]!["mc_batch_size"]!);
        Assert.True(File.Exists(Path.Combine(model.RunDir, "report.html")));   // the report reads the wider predictions file
    }

    [Fact]
    public void Predict_uses_the_package_samples_and_the_same_seed_gives_the_same_output()
    {
        Trained();
        string[] texts = ["what a lovely day", "worst service ever", "I am at home"];
        CliResult Predict(params string[] extra) => CliRunner.Ok(["predict", "--model", model.ModelDir, "--format", "json", .. extra, .. texts]);
        var first = Predict("--seed", "5");
        Assert.Equal(first.Stdout, Predict("--seed", "5").Stdout);
        Assert.NotEqual(first.Stdout, Predict("--seed", "6").Stdout);
        var lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Contains(lines, l => (double)l["uncertainty"]!["epistemic"]! > 0);
        Assert.Equal(first.Stdout, Predict("--seed", "5", "--mc-samples", "4").Stdout);   // 4 is the package's default

        // Predictions stay the deterministic ones; one sample gives epistemic 0.
        var single = Predict("--mc-samples", "1").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(single[i]["probabilities"]!.ToJsonString(), lines[i]["probabilities"]!.ToJsonString());
            Assert.Equal(0.0, (double)single[i]["uncertainty"]!["epistemic"]!);
        }
    }

    [Fact]
    public void File_scoring_is_reproducible_across_runs_and_mc_batch_sizes()
    {
        Trained();
        var input = _ws.Write("in.csv", "text\n" + string.Join("\n", DataSlices.TweetRows(30).Select(t => $"\"{t.Text.Replace("\"", "\"\"")}\"")) + "\n");
        string Score(string name, params string[] extra)
        {
            var output = _ws.PathOf(name);
            CliRunner.Ok(["predict", "--model", model.ModelDir, "--input", input, "--output", output, "--seed", "3", .. extra]);
            return output;
        }
        var a = Score("a.csv", "--mc-batch-size", "7", "--batch-size", "5");
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(Score("b.csv", "--mc-batch-size", "7", "--batch-size", "5")));
        // Other groupings of (row, pass) pairs into forward passes and other batch sizes: the same bytes.
        var c = Score("c.csv", "--mc-batch-size", "1000");
        Assert.Contains("epistemic", File.ReadLines(c).First());
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(c));
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(Score("d.csv", "--mc-batch-size", "1", "--batch-size", "64")));
    }

    [Fact]
    public void Eval_with_the_package_default_samples_writes_uncertainty_and_curves()
    {
        Trained();
        CliRunner.Ok("eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "ev", "--runs-dir", _ws.RunsDir, "--no-report", "--mc-batch-size", "16");
        var table = CsvTable.Read(Path.Combine(_ws.RunsDir, "ev", "predictions", "test.csv"));
        Assert.Contains(table.Column("epistemic"), e => Number(e) > 0);
        Assert.True(File.Exists(Path.Combine(_ws.RunsDir, "ev", "metrics", "rejection_test.csv")));
    }

    [Fact]
    public void A_model_whose_dropouts_are_all_zero_is_refused_for_sampling()
    {
        Trained();
        var copy = _ws.PathOf("no-dropout");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(model.ModelDir)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var configPath = Path.Combine(copy, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["hidden_dropout_prob"] = 0.0;
        config["attention_probs_dropout_prob"] = 0.0;
        config["classifier_dropout"] = 0.0;
        File.WriteAllText(configPath, config.ToJsonString());

        // The package asks for 4 samples: the error names the package key; a flag is named as the flag.
        var byDefault = CliRunner.Run("predict", "--model", copy, "hello");
        BadInputTests.AssertInputError(_ws, byDefault, "uncertainty.mc_samples", "has no dropout: epistemic uncertainty would be 0", "dropout probability");
        BadInputTests.AssertInputError(_ws, CliRunner.Run("predict", "--model", copy, "--mc-samples", "3", "hello"), "'--mc-samples'", "has no dropout");
        var single = CliRunner.Ok("predict", "--model", copy, "--mc-samples", "1", "--format", "json", "hello");
        Assert.Equal(0.0, (double)JsonNode.Parse(single.Stdout)!["uncertainty"]!["epistemic"]!);
    }
}
