using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;
using Classify.Core.Tests.Runs;
using Classify.Core.Training;

namespace Classify.Core.Tests.Prediction;

/// <summary>
/// Selective prediction (<c>decision.abstain</c>): the threshold fit on hand-computed validation sets, the rule in
/// classify.json (round trip, format version, older packages), every predictor output, the evaluation metrics and the
/// config section's errors.
/// </summary>
public sealed class AbstainTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    // Ten examples, most confident first; the order they are given in must not matter, so they are shuffled.
    private static readonly double[] Ten = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    private static readonly int[] Shuffle = [3, 9, 0, 6, 1, 8, 2, 5, 7, 4];

    private static AbstainFit FitShuffled(AbstainTarget target, double[] confidence, bool[] correct) =>
        AbstainTuner.Fit(target, Shuffle.Select(i => confidence[i]).ToArray(), Shuffle.Select(i => correct[i]).ToArray());

    private static AbstainTarget Coverage(double c) => new() { Coverage = c };
    private static AbstainTarget Accuracy(double a) => new() { TargetAccuracy = a };

    [Theory]
    [InlineData(0.7, 7, (0.3 + 0.2) / 2)]      // 0.7 × 10 is 7.000000000000001 in floating point: still 7 kept
    [InlineData(0.75, 8, (0.2 + 0.1) / 2)]     // ⌈7.5⌉ = 8
    [InlineData(0.9, 9, (0.1 + 0.05) / 2)]
    [InlineData(0.01, 1, (0.9 + 0.8) / 2)]     // at least one example is kept
    [InlineData(1.0, 10, 0.0)]                 // everything kept: threshold 0 never abstains
    public void A_coverage_keeps_the_ceiling_of_c_n_most_confident_examples(double coverage, int kept, double threshold)
    {
        var fit = FitShuffled(Coverage(coverage), Ten, new bool[10]);
        Assert.True(fit.Reached);
        Assert.Equal(kept, fit.Kept);
        Assert.Equal(kept / 10.0, fit.Coverage, 12);
        Assert.Equal(threshold, fit.Threshold!.Value, 12);
        // The threshold keeps exactly those examples.
        Assert.Equal(kept, Ten.Count(c => c >= fit.Threshold));
    }

    [Fact]
    public void Ties_at_the_cut_are_all_kept_so_coverage_can_exceed_the_target()
    {
        double[] confidence = [0.8, 0.9, 0.8, 0.5, 0.8];
        var fit = AbstainTuner.Fit(Coverage(0.4), confidence, [true, true, false, true, true]);
        Assert.Equal(4, fit.Kept);                           // 2 asked; the three 0.8s go together
        Assert.Equal(0.8, fit.Coverage, 12);
        Assert.Equal((0.8 + 0.5) / 2, fit.Threshold!.Value, 12);
        Assert.Equal(0.75, fit.Accuracy, 12);
        // Every confidence equal: nothing can be cut, everything is kept.
        Assert.Equal(0.0, AbstainTuner.Fit(Coverage(0.5), [0.7, 0.7, 0.7], [true, false, true]).Threshold);
    }

    // Right/wrong of the ten examples, most confident first. Accuracy of the k most confident:
    // 1, 1, .667, .75, .8, .667, .571, .625, .556, .5
    private static readonly bool[] Mixed = [true, true, false, true, true, false, false, true, false, false];

    [Theory]
    [InlineData(0.8, 5, (0.5 + 0.4) / 2, 0.8)]
    [InlineData(0.6, 8, (0.2 + 0.1) / 2, 0.625)]   // the largest coverage that reaches the target, not the first
    [InlineData(0.5, 10, 0.0, 0.5)]
    [InlineData(1.0, 2, (0.8 + 0.7) / 2, 1.0)]
    public void A_target_accuracy_keeps_the_most_examples_whose_accuracy_reaches_it(double target, int kept, double threshold, double accuracy)
    {
        var fit = FitShuffled(Accuracy(target), Ten, Mixed);
        Assert.True(fit.Reached);
        Assert.Equal(kept, fit.Kept);
        Assert.Equal(threshold, fit.Threshold!.Value, 12);
        Assert.Equal(accuracy, fit.Accuracy, 12);
        var rule = fit.ToRule(Accuracy(target))!;
        Assert.Equal(target, rule.TargetAccuracy);
        Assert.Null(rule.Coverage);
        Assert.Equal(kept / 10.0, rule.ValidationCoverage!.Value, 12);
    }

    [Fact]
    public void An_unreachable_target_accuracy_gives_no_threshold_and_the_best_cut()
    {
        // Most confident wrong: 0/1, 1/2, 2/3, 2/4; the best is 2/3 at three examples.
        var fit = AbstainTuner.Fit(Accuracy(0.9), [0.9, 0.8, 0.7, 0.6], [false, true, true, false]);
        Assert.False(fit.Reached);
        Assert.Null(fit.Threshold);
        Assert.Null(fit.ToRule(Accuracy(0.9)));
        Assert.Equal(3, fit.Kept);
        Assert.Equal(2.0 / 3, fit.Accuracy, 12);
        // All wrong: the best accuracy (0) at the largest coverage.
        var none = AbstainTuner.Fit(Accuracy(0.5), [0.9, 0.8], [false, false]);
        Assert.False(none.Reached);
        Assert.Equal((2, 0.0), (none.Kept, none.Accuracy));
    }

    [Fact]
    public void Bad_fit_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AbstainTuner.Fit(Coverage(0.5), [], []));
        Assert.Throws<ArgumentException>(() => AbstainTuner.Fit(Coverage(0.5), [0.5], [true, false]));
        Assert.Throws<ArgumentException>(() => AbstainTuner.Fit(Coverage(0), [0.5], [true]));
        Assert.Throws<ArgumentException>(() => AbstainTuner.Fit(new AbstainTarget { Coverage = 0.5, TargetAccuracy = 0.5 }, [0.5], [true]));
        Assert.Throws<ArgumentException>(() => AbstainTuner.Fit(Coverage(0.5), [double.NaN], [true]));
    }

    [Fact]
    public void Confidence_is_the_top_probability_or_the_least_sure_label_decision()
    {
        var multiclass = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        Assert.Equal(0.5, AbstainRule.Confidence(AbstainRule.MaxProbabilityScore, multiclass, [0.2, 0.5, 0.3], null));
        Assert.Equal(0.2, AbstainRule.Confidence(AbstainRule.MarginScore, multiclass, [0.2, 0.5, 0.3], null), 12);
        var multilabel = new LabelSchema(TaskKind.Multilabel, ["a", "b", "c"]);
        Assert.Equal(0.6, AbstainRule.Confidence(AbstainRule.MaxProbabilityScore, multilabel, [0.95, 0.4, 0.1], null), 12);   // min(0.95, 0.6, 0.9)
        // The margin knows the tuned thresholds: b at 0.4 with threshold 0.35 is the decision closest to flipping.
        Assert.Equal(0.05, AbstainRule.Confidence(AbstainRule.MarginScore, multilabel, [0.95, 0.4, 0.1], [0.5, 0.35, 0.3]), 12);
        Assert.Equal(AbstainRule.MarginScore, AbstainRule.DefaultScore(TaskKind.Multilabel));
        Assert.Equal(AbstainRule.MaxProbabilityScore, AbstainRule.DefaultScore(TaskKind.Binary));
        Assert.Throws<ArgumentException>(() => AbstainRule.Confidence("entropy", multiclass, [0.2, 0.5, 0.3], null));
        // Right means the whole label set, in any order.
        Assert.Equal([false, true, false], AbstainTuner.Correct([[0], [0, 2], [1]], [[1], [2, 0], [1, 2]]));
    }

    private static ModelManifest Manifest(AbstainRule? rule) => new()
    {
        Engine = "linear", Task = "binary", Labels = ["neg", "pos"], Abstain = rule, CreatedUtc = new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc),
    };

    private static readonly AbstainRule Rule = new() { Threshold = 0.75, Coverage = 0.9, ValidationCoverage = 0.9012, ValidationAccuracy = 0.83 };

    [Fact]
    public void The_rule_round_trips_in_classify_json_as_format_version_3()
    {
        Manifest(Rule).Save(_dir.Path);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir.Path, ModelManifest.FileName)))!;
        Assert.Equal(ModelManifest.AbstainFormatVersion, (int)json["format_version"]!);
        Assert.Equal("max_probability", (string)json["abstain"]!["score"]!);
        Assert.Null(json["abstain"]!["target_accuracy"]);
        Assert.Equal(Rule, ModelManifest.Load(_dir.Path).Abstain);
    }

    [Fact]
    public void A_package_without_the_rule_stays_version_1_and_an_older_package_loads_unchanged()
    {
        Manifest(null).Save(_dir.Path);
        var text = File.ReadAllText(Path.Combine(_dir.Path, ModelManifest.FileName));
        Assert.Equal(1, (int)JsonNode.Parse(text)!["format_version"]!);
        Assert.DoesNotContain("abstain", text);
        // A manifest as Classify wrote it before abstention (version 1, no key).
        File.WriteAllText(Path.Combine(_dir.Path, ModelManifest.FileName), """
            {"format": "classify-model", "format_version": 1, "engine": "linear", "task": "binary", "labels": ["neg", "pos"],
             "cleaning": {}, "thresholds": null, "temperature": 1}
            """);
        Assert.Null(ModelManifest.Load(_dir.Path).Abstain);
    }

    [Theory]
    [InlineData("score", "\"epistemic\"", "abstain.score", "unknown abstain score")]
    [InlineData("threshold", "-0.5", "abstain.threshold", "at least 0")]
    [InlineData("coverage", "0", "abstain.coverage", "greater than 0")]
    [InlineData("target_accuracy", "0.9", "abstain.coverage", "exactly one target")]
    [InlineData("validation_accuracy", "-0.1", "abstain.validation_accuracy", "[0, 1]")]
    public void A_tampered_rule_is_refused_naming_its_field(string key, string value, string field, string mention)
    {
        Manifest(Rule).Save(_dir.Path);
        var path = Path.Combine(_dir.Path, ModelManifest.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["abstain"]![key] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var e = Assert.Throws<InputException>(() => ModelManifest.Load(_dir.Path));
        Assert.Equal(field, e.Field);
        Assert.Contains(mention, e.Reason);
        Assert.NotNull(e.Line);
    }

    /// <summary>The test engine's naive-Bayes model of "good"/"bad" words, packaged with <paramref name="rule"/>.</summary>
    private TextClassifier Classifier(AbstainRule? rule)
    {
        var schema = new LabelSchema(TaskKind.Binary, ["neg", "pos"]);
        var train = Enumerable.Range(0, 40).Select(i => new Example($"{i}", i % 2 == 0 ? $"good great {i}" : $"bad awful {i}", [i % 2 == 0 ? 1 : 0])).ToArray();
        var options = new NaiveBayesOptions(1.0);
        var outcome = new NaiveBayesTrainer().Train(new TrainingRequest
        {
            Schema = schema, Train = train, Validation = [], Options = options, Run = new RunLayout(Path.Combine(_dir.Path, "run")),
            Manifest = Manifest(rule),
        }, options, CancellationToken.None);
        return new TextClassifier(outcome.Model.Predictor);
    }

    // The test model is sure about "good great" and "bad awful" and unsure about words it never saw.
    private const string Sure = "good great good great";
    private const string Unsure = "a chair";

    [Fact]
    public void TextClassifier_abstains_under_the_threshold_keeping_the_probabilities()
    {
        using var classifier = Classifier(Rule);
        var sure = classifier.Predict(Sure);
        var unsure = classifier.Predict(Unsure);
        Assert.True(sure.Confidence >= Rule.Threshold, $"confidence {sure.Confidence}");
        Assert.True(unsure.Confidence < Rule.Threshold, $"confidence {unsure.Confidence}");
        Assert.False(sure.Abstained);
        Assert.Equal(["pos"], sure.Labels);
        Assert.True(unsure.Abstained);
        Assert.Empty(unsure.Labels);
        Assert.Null(unsure.Label);
        Assert.Equal(1.0, unsure.Probabilities.Values.Sum(), 9);

        // Switched off, the same text gets the decision rule's label and no abstain field.
        classifier.ApplyAbstention = false;
        var raw = classifier.Predict(Unsure);
        Assert.False(raw.Abstained);
        Assert.Null(raw.Confidence);
        Assert.Single(raw.Labels);
    }

    [Fact]
    public void Json_lines_carry_abstained_on_every_line_only_for_a_model_with_the_rule()
    {
        using var classifier = Classifier(Rule);
        var unsure = JsonNode.Parse(PredictionJson.Format(classifier.Predict(Unsure)))!;
        Assert.True((bool)unsure["abstained"]!);
        Assert.Empty(unsure["labels"]!.AsArray());
        Assert.Equal(2, unsure["probabilities"]!.AsObject().Count);
        Assert.False((bool)JsonNode.Parse(PredictionJson.Format(classifier.Predict(Sure)))!["abstained"]!);
        Assert.Equal(["text", "labels", "abstained", "probabilities", "uncertainty"], unsure.AsObject().Select(kv => kv.Key));

        using var plain = Classifier(null);
        Assert.Null(JsonNode.Parse(PredictionJson.Format(plain.Predict(Unsure)))!["abstained"]);
    }

    [Fact]
    public void Scored_files_add_the_abstained_column_last_and_leave_abstained_labels_empty()
    {
        using var classifier = Classifier(Rule);
        var input = _dir.Write("in.csv", $"text\n{Sure}\n{Unsure}\n");
        var csvOut = Path.Combine(_dir.Path, "out.csv");
        FileScorer.Score(classifier, input, csvOut);
        var lines = File.ReadAllLines(csvOut);
        Assert.EndsWith(",std_pos,abstained", lines[0]);
        Assert.StartsWith("1,good great good great,pos,", lines[1]);
        Assert.EndsWith(",false", lines[1]);
        Assert.StartsWith("2,a chair,,", lines[2]);
        Assert.EndsWith(",true", lines[2]);

        var jsonOut = Path.Combine(_dir.Path, "out.jsonl");
        FileScorer.Score(classifier, input, jsonOut);
        Assert.Equal([false, true], File.ReadAllLines(jsonOut).Select(l => (bool)JsonNode.Parse(l)!["abstained"]!));

        using var plain = Classifier(null);
        FileScorer.Score(plain, input, csvOut);
        Assert.DoesNotContain("abstained", File.ReadAllLines(csvOut)[0]);
    }

    [Fact]
    public void Evaluation_reports_all_examples_and_the_kept_ones()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        Example E(int i, int gold) => new($"{i}", $"text {i}", [gold]);
        // Confidences 0.8, 0.7, 0.4, 0.6; threshold 0.65 keeps the first two (one right, one wrong).
        double[][] probabilities = [[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.4, 0.3, 0.3], [0.2, 0.2, 0.6]];
        var examples = new[] { E(0, 0), E(1, 2), E(2, 0), E(3, 2) };
        var evaluation = Evaluator.Score("val", schema, examples, probabilities, null, abstain: new AbstainRule { Threshold = 0.65, Coverage = 0.5 });
        Assert.Equal([false, false, true, true], evaluation.Abstained);
        Assert.Equal(0.75, evaluation.Report.Accuracy, 12);   // all four, with the model's decisions
        var a = evaluation.Report.Abstention!;
        Assert.Equal((0.65, 0.5, 2, 2), (a.Threshold, a.Coverage, a.Kept, a.Abstained));
        Assert.Equal(0.5, a.SelectiveAccuracy!.Value, 12);
        // Kept: gold a→a (right), gold c→b (wrong). Per label F1: a 1, b 0, c 0 → macro 1/3.
        Assert.Equal(1.0 / 3, a.SelectiveMacroF1!.Value, 12);
        Assert.Null(Evaluator.Score("val", schema, examples, probabilities, null).Report.Abstention);

        // Nothing kept: coverage 0 and no selective metrics.
        var none = AbstentionMetrics.Compute(schema, [[0]], [[0]], [true], 0.99);
        Assert.Equal((0.0, 0, (double?)null), (none.Coverage, none.Kept, none.SelectiveAccuracy));

        // The predictions file gains the column last; pred keeps the model's decision.
        var layout = new RunLayout(Path.Combine(_dir.Path, "eval-run"));
        Evaluator.Write(layout, schema, examples, evaluation);
        var lines = File.ReadAllLines(layout.Predictions("val"));
        Assert.Equal("id,text,gold,pred,p_a,p_b,p_c,abstained", lines[0]);
        Assert.StartsWith("2,text 2,a,a,", lines[3]);
        Assert.EndsWith(",true", lines[3]);
        var saved = JsonNode.Parse(File.ReadAllText(layout.Metrics("val")))!;
        Assert.Equal(0.5, (double)saved["abstention"]!["selective_accuracy"]!);
    }

    private const string ConfigHead = """
        name: abstain
        data:
          path: data.csv
        decision:
        """;

    private ExperimentConfig Load(string decision, params string[] overrides) =>
        ExperimentConfig.Load(_dir.Write("c.yaml", ConfigHead + "\n" + decision + "\n"), overrides);

    [Fact]
    public void The_config_reads_a_coverage_or_a_target_accuracy_from_the_file_or_set()
    {
        Assert.Equal(0.9, Load("  abstain: {coverage: 0.9}").Abstain!.Coverage);
        var accuracy = Load("  abstain:\n    target_accuracy: 0.95\n    score: margin").Abstain!;
        Assert.Equal((0.95, "margin"), (accuracy.TargetAccuracy, accuracy.Score));
        Assert.Null(Load("  abstain: {coverage: 0.9}").Abstain!.Score);   // the task's default, chosen when the data is known
        Assert.Null(Load("  tune_thresholds: false").Abstain);
        var set = Load("  tune_thresholds: false", "decision.abstain.coverage=0.8");
        Assert.Equal(0.8, set.Abstain!.Coverage);
        Assert.Null(set.Abstain.TargetAccuracy);
    }

    [Theory]
    [InlineData("  abstain: {coverage: 0}", 5, "decision.abstain.coverage", "greater than 0")]
    [InlineData("  abstain: {coverage: 1.5}", 5, "decision.abstain.coverage", "at most 1")]
    [InlineData("  abstain: {coverage: -0.2}", 5, "decision.abstain.coverage", "greater than 0")]
    [InlineData("  abstain: {target_accuracy: 0}", 5, "decision.abstain.target_accuracy", "greater than 0")]
    [InlineData("  abstain: {target_accuracy: 1.01}", 5, "decision.abstain.target_accuracy", "at most 1")]
    [InlineData("  abstain:\n    coverage: 0.9\n    target_accuracy: 0.9", 7, "decision.abstain.target_accuracy", "not both")]
    [InlineData("  abstain: {}", 5, "decision.abstain", "needs coverage")]
    [InlineData("  abstain:\n    coverage: 0.9\n    coverag: 0.8", 7, "decision.abstain.coverag", "unknown setting")]
    [InlineData("  abstain: {coverage: lots}", 5, "decision.abstain.coverage", "expected a number")]
    [InlineData("  abstain: 0.9", 5, "decision.abstain", "mapping")]
    [InlineData("  abstain: {coverage: 0.9, score: epistemic}", 5, "decision.abstain.score", "max_probability")]
    public void Bad_abstain_settings_name_the_file_line_and_key(string decision, int line, string key, string mention)
    {
        var e = Assert.Throws<InputException>(() => Load(decision));
        Assert.Equal(Path.Combine(_dir.Path, "c.yaml"), e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(key, e.Field);
        Assert.Contains(mention, e.Reason);
    }

    [Fact]
    public void A_bad_value_given_with_set_names_the_command_line()
    {
        var e = Assert.Throws<InputException>(() => Load("  tune_thresholds: false", "decision.abstain.coverage=2"));
        Assert.Equal(ExperimentConfig.CommandLine, e.File);
        Assert.Equal("decision.abstain.coverage", e.Field);
    }
}
