using System.Globalization;
using System.Text;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Runs;

/// <summary><c>decision.abstain</c> through a whole experiment: the fit after calibration, the package, run.json and the metrics.</summary>
public sealed class AbstainExperimentTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunsDir => Path.Combine(_dir.Path, "runs");

    // 200 reviews; one in six carries the other label, so no threshold makes the kept reviews all right.
    private ExperimentConfig Config(string extra, bool informative = true)
    {
        string[] good = ["good", "great", "lovely", "happy", "excellent", "fine", "nice"];
        string[] bad = ["bad", "awful", "sad", "terrible", "poor", "broken", "rude"];
        var sb = new StringBuilder("id,text,label\n");
        for (int i = 0; i < 200; i++)
        {
            bool positive = i % 2 == 0;
            var (own, other) = positive ? (good, bad) : (bad, good);
            // Uninformative: the same words and one word of its own, so every review the model did not train on gets the
            // same probabilities, and no confidence separates right from wrong.
            var words = informative
                ? $"{own[i % 7]} {own[(i / 7) % 7]} {own[(i / 3) % 7]} {(i % 3 == 0 ? other[(i / 2) % 7] : "the")} {(i % 4 == 1 ? other[i % 7] : "room")}"
                : $"the room w{i}";
            bool labelledPositive = i % 6 is 2 or 5 ? !positive : positive;
            sb.Append($"r{i},{words},{(labelledPositive ? "pos" : "neg")}\n");
        }
        var data = _dir.Write("reviews.csv", sb.ToString());
        return ExperimentConfig.Load(_dir.Write("exp.yaml", NaiveBayesConfig.Yaml(RunsDir, data, extra)));
    }

    private ExperimentResult Run(string extra, List<string> log, bool informative = true) =>
        new Experiment(Config(extra, informative), new NaiveBayesTrainer()) { OpenLedger = _ => new MemoryLedger(), Log = log.Add }.Run();

    [Fact]
    public void A_coverage_is_fitted_on_the_calibrated_validation_probabilities_and_stored_everywhere()
    {
        var log = new List<string>();
        var result = Run("calibration:\n  method: temperature\ndecision:\n  abstain:\n    coverage: 0.7", log);
        var manifest = ModelManifest.Load(result.Layout.ModelDirectory);
        var rule = manifest.Abstain!;
        Assert.Equal(0.7, rule.Coverage);
        Assert.Equal(AbstainRule.MaxProbabilityScore, rule.Score);
        Assert.NotEqual(1.0, manifest.Temperature);

        // The threshold keeps 70 % of validation with the probabilities the package produces (calibrated).
        var val = result.Validation!.Abstention!;
        Assert.Equal(rule.ValidationCoverage!.Value, val.Coverage, 12);
        Assert.InRange(val.Coverage, 0.7, 0.8);
        Assert.Equal(rule.ValidationAccuracy!.Value, val.SelectiveAccuracy!.Value, 12);
        // The predictions file marks exactly the rows under the threshold (columns id,text,gold,pred,p_neg,p_pos,abstained).
        var rows = File.ReadLines(result.Layout.Predictions("val")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.All(rows, r => Assert.Equal(
            Math.Max(double.Parse(r[4], CultureInfo.InvariantCulture), double.Parse(r[5], CultureInfo.InvariantCulture)) < rule.Threshold ? "true" : "false", r[6]));
        var kept = rows.Where(r => r[6] == "false").ToArray();
        Assert.Equal(val.Kept, kept.Length);
        Assert.Equal((double)kept.Count(r => r[2] == r[3]) / kept.Length, val.SelectiveAccuracy!.Value, 12);
        Assert.NotNull(result.Test!.Abstention);

        var info = RunInfo.Load(result.Layout).Abstain!;
        Assert.True(info.Reached);
        Assert.Equal(rule.Threshold, info.Threshold);
        Assert.Contains(log, l => l.StartsWith("abstain: max_probability threshold", StringComparison.Ordinal));
        Assert.EndsWith(",abstained", File.ReadLines(result.Layout.Predictions("val")).First());
    }

    [Fact]
    public void An_unreachable_target_accuracy_warns_and_stores_no_rule()
    {
        var log = new List<string>();
        var result = Run("decision:\n  abstain:\n    target_accuracy: 0.9", log, informative: false);
        // Every validation review has the same confidence: the only cut keeps them all, about half of them right.
        var info = RunInfo.Load(result.Layout).Abstain!;
        var manifest = ModelManifest.Load(result.Layout.ModelDirectory);
        Assert.False(info.Reached);
        Assert.Equal(1.0, info.ValidationCoverage);
        Assert.InRange(info.ValidationAccuracy, 0.3, 0.7);
        Assert.Null(info.Threshold);
        Assert.Null(manifest.Abstain);
        Assert.Equal(1, System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(result.Layout.ModelDirectory, ModelManifest.FileName)))!["format_version"]!.GetValue<int>());
        Assert.Contains(log, l => l.StartsWith("warning: decision.abstain.target_accuracy 0.9 is not reached", StringComparison.Ordinal));
        Assert.Null(result.Validation!.Abstention);
        Assert.DoesNotContain("abstained", File.ReadLines(result.Layout.Predictions("val")).First());
    }

    [Fact]
    public void Abstention_needs_a_validation_split_and_is_refused_before_anything_is_written()
    {
        var config = Config("split: {train: 0.8, val: 0, test: 0.2}\ndecision:\n  abstain:\n    coverage: 0.9");
        var e = Assert.Throws<InputException>(() => new Experiment(config, new NaiveBayesTrainer()) { OpenLedger = _ => new MemoryLedger() }.Prepare());
        Assert.Equal("decision.abstain", e.Field);
        Assert.False(Directory.Exists(RunsDir));
    }
}
