using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;
using Classify.Core.Uncertainty;

namespace Classify.Core.Tests.Uncertainty;

/// <summary>
/// The wiring of uncertainty into predictions: <see cref="TextClassifier"/> with and without Monte-Carlo dropout, the
/// JSON <c>"uncertainty"</c> object, the CSV columns of <see cref="FileScorer"/>, and the <c>uncertainty</c> settings of
/// classify.json and experiment configs.
/// </summary>
public sealed class PredictionUncertaintyTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A model with dropout: deterministic scores from the text's length and letters; a dropout pass adds noise drawn
    /// from (pass seed, text) alone, so a row never depends on the batch it is in.
    /// </summary>
    private sealed class NoisyPredictor(TaskKind task, bool hasDropout = true) : IPredictor
    {
        public ModelManifest Manifest { get; } = new()
        {
            Engine = "noisy", Task = task.ToName(), Labels = task == TaskKind.Binary ? ["neg", "pos"] : ["anger", "joy", "fear"],
        };
        public ScoreLink Link => LinkFunction.ForTask(task);
        public bool SupportsDropout => true;
        public bool HasDropout => hasDropout;
        public int Calls { get; private set; }

        public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
        {
            Calls++;
            int labels = Manifest.Labels.Count;
            return inputs.Select(input =>
            {
                var row = new double[labels];
                for (int k = 0; k < labels; k++) row[k] = (input.Text.Length % (k + 2)) - 0.5 * k + input.Text.Count(c => c == 'a') * (k == 1 ? 1 : 0);
                if (mode.Dropout && hasDropout)
                {
                    var random = SeededRandom.ForPurpose(mode.Seed, "noise:" + input.Text);
                    for (int k = 0; k < labels; k++) row[k] += random.NextDouble() - 0.5;
                }
                return row;
            }).ToArray();
        }

        public void Dispose() { }
    }

    private static readonly TextInput[] Texts = ["a happy day", "so sad", "what a scary night", "meh", "banana bandana"];

    [Theory]
    [InlineData(TaskKind.Binary)]
    [InlineData(TaskKind.Multiclass)]
    [InlineData(TaskKind.Multilabel)]
    public void Monte_Carlo_predictions_keep_the_deterministic_labels_and_add_the_uncertainty_of_the_passes(TaskKind task)
    {
        using var classifier = new TextClassifier(new NoisyPredictor(task));
        var options = new UncertaintyOptions { McSamples = 7, McBatchSize = 3 };
        var sampled = classifier.Predict(Texts, options, seed: 11, batchSize: 2);
        var plain = classifier.Predict(Texts, batchSize: 2);

        // The expected uncertainty, computed independently: 7 seeded passes through the link, then the calculator.
        var scores = classifier.Predictor.PredictPasses(Texts, 7, 11, 1);
        var expected = UncertaintyCalculator.FromPasses(scores.Select(p => LinkFunction.Apply(p, classifier.Predictor.Link)).ToArray(), task);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(plain[i].Labels, sampled[i].Labels);
            Assert.Equal(plain[i].Probabilities, sampled[i].Probabilities);
            var u = sampled[i].Uncertainty!;
            Assert.Equal(7, u.Passes);
            Assert.Equal(expected[i].PredictiveEntropy, u.PredictiveEntropy);
            Assert.Equal(expected[i].Epistemic, u.Epistemic);
            Assert.Equal(expected[i].StandardDeviations, u.StandardDeviations);
            Assert.True(u.Epistemic > 0, $"row {i}: the passes differ, so the epistemic part is positive");
            Assert.Contains(u.StandardDeviations, s => s > 0);
            Assert.Equal(u.PredictiveEntropy, u.Aleatoric + u.Epistemic, 9);
            Assert.Equal(task == TaskKind.Multilabel, u.PerLabel is not null);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_uncertainty_and_another_seed_another()
    {
        using var classifier = new TextClassifier(new NoisyPredictor(TaskKind.Multiclass));
        var options = new UncertaintyOptions { McSamples = 5 };
        string Json(ulong seed, int batch, int mcBatch) =>
            string.Join("\n", classifier.Predict(Texts, options with { McBatchSize = mcBatch }, seed, batch).Select(p => PredictionJson.Format(p)));
        var first = Json(3, 64, 256);
        Assert.Equal(first, Json(3, 64, 256));
        Assert.Equal(first, Json(3, 1, 2));   // batching never changes a row
        Assert.NotEqual(first, Json(4, 64, 256));
    }

    [Fact]
    public void Without_sampling_the_uncertainty_is_the_entropy_of_the_deterministic_probabilities()
    {
        var predictor = new NoisyPredictor(TaskKind.Multiclass);
        using var classifier = new TextClassifier(predictor);
        var prediction = classifier.Predict("a happy day");
        var p = prediction.Probabilities.Values.ToArray();
        double entropy = -p.Sum(x => x * Math.Log(x));
        var u = prediction.Uncertainty!;
        Assert.Equal(1, u.Passes);
        Assert.Equal(entropy, u.PredictiveEntropy, 12);
        Assert.Equal(u.PredictiveEntropy, u.Aleatoric);
        Assert.Equal(0.0, u.Epistemic);
        Assert.All(u.StandardDeviations, s => Assert.Equal(0.0, s));
        Assert.Equal(1, predictor.Calls);   // one pass: no dropout call
    }

    [Fact]
    public void Sampling_a_model_without_dropout_is_refused_and_one_pass_is_not()
    {
        using var classifier = new TextClassifier(new NoisyPredictor(TaskKind.Multiclass, hasDropout: false));
        var e = Assert.Throws<NotSupportedException>(() => classifier.Predict(Texts, new UncertaintyOptions { McSamples = 2 }, 0));
        Assert.Contains("has no dropout: epistemic uncertainty would be 0", e.Message);
        Assert.Equal(0.0, classifier.Predict(Texts, UncertaintyOptions.SinglePass, 0)[0].Uncertainty!.Epistemic);
    }

    [Fact]
    public void The_json_uncertainty_object_has_exactly_the_documented_shape()
    {
        using var single = new TextClassifier(new NoisyPredictor(TaskKind.Multiclass));
        var p = single.Predict(Texts, new UncertaintyOptions { McSamples = 3 }, 1)[0];
        var u = p.Uncertainty!;
        string R(double x) => JsonSerializer.Serialize(x);
        string probabilities = string.Join(",", p.Probabilities.Select(kv => $"\"{kv.Key}\":{R(kv.Value)}"));
        Assert.Equal(
            $"{{\"text\":\"a happy day\",\"labels\":[\"{p.Labels[0]}\"],\"probabilities\":{{{probabilities}}}," +
            $"\"uncertainty\":{{\"predictive_entropy\":{R(u.PredictiveEntropy)},\"aleatoric\":{R(u.Aleatoric)},\"epistemic\":{R(u.Epistemic)}," +
            $"\"std\":{{\"anger\":{R(u.StandardDeviations[0])},\"joy\":{R(u.StandardDeviations[1])},\"fear\":{R(u.StandardDeviations[2])}}}}}}}",
            PredictionJson.Format(p));

        using var multi = new TextClassifier(new NoisyPredictor(TaskKind.Multilabel));
        var m = multi.Predict(Texts, new UncertaintyOptions { McSamples = 3 }, 1)[2];
        var json = JsonNode.Parse(PredictionJson.Format(m, "id-3"))!.AsObject();
        Assert.Equal(["id", "text", "labels", "probabilities", "uncertainty"], json.Select(kv => kv.Key));
        var uj = json["uncertainty"]!.AsObject();
        Assert.Equal(["predictive_entropy", "aleatoric", "epistemic", "std", "per_label"], uj.Select(kv => kv.Key));
        Assert.Equal(["anger", "joy", "fear"], uj["std"]!.AsObject().Select(kv => kv.Key));
        var perLabel = uj["per_label"]!.AsObject();
        Assert.Equal(["anger", "joy", "fear"], perLabel.Select(kv => kv.Key));
        for (int k = 0; k < 3; k++)
        {
            var label = perLabel[multi.Schema.Labels[k]]!.AsObject();
            Assert.Equal(["aleatoric", "epistemic"], label.Select(kv => kv.Key));
            Assert.Equal(m.Uncertainty!.PerLabel![k].Aleatoric, label["aleatoric"]!.GetValue<double>());
            Assert.Equal(m.Uncertainty.PerLabel[k].Epistemic, label["epistemic"]!.GetValue<double>());
        }
        Assert.Equal(m.Uncertainty!.Epistemic, uj["epistemic"]!.GetValue<double>());
    }

    [Fact]
    public void File_scoring_writes_the_uncertainty_as_csv_columns_and_jsonl_fields()
    {
        using var classifier = new TextClassifier(new NoisyPredictor(TaskKind.Multilabel));
        var input = _dir.Write("in.csv", "id,text\n" + string.Join("\n", Texts.Select((t, i) => $"r{i},{t.Text}")) + "\n");
        var options = new FileScoringOptions { IdColumn = "id", BatchSize = 2, Uncertainty = new UncertaintyOptions { McSamples = 4, McBatchSize = 3 }, Seed = 9 };
        var csvPath = Path.Combine(_dir.Path, "out.csv");
        FileScorer.Score(classifier, input, csvPath, options);
        var table = CsvTable.Read(csvPath);
        Assert.Equal(["id", "text", "labels", "p_anger", "p_joy", "p_fear", "predictive_entropy", "aleatoric", "epistemic",
            "std_anger", "std_joy", "std_fear", "aleatoric_anger", "aleatoric_joy", "aleatoric_fear", "epistemic_anger", "epistemic_joy", "epistemic_fear"],
            table.Header);
        var expected = classifier.Predict(Texts, options.Uncertainty, 9);
        for (int i = 0; i < Texts.Length; i++)
        {
            var u = expected[i].Uncertainty!;
            double Cell(string column) => double.Parse(table.Column(column).ElementAt(i), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(u.PredictiveEntropy, Cell("predictive_entropy"));
            Assert.Equal(u.Epistemic, Cell("epistemic"));
            Assert.Equal(u.StandardDeviations[1], Cell("std_joy"));
            Assert.Equal(u.PerLabel![2].Epistemic, Cell("epistemic_fear"));
        }
        // The same rows in one batch, with another MC batch size: the same file.
        var again = Path.Combine(_dir.Path, "again.csv");
        FileScorer.Score(classifier, input, again, options with { BatchSize = 64, Uncertainty = options.Uncertainty with { McBatchSize = 1000 } });
        Assert.Equal(File.ReadAllText(csvPath), File.ReadAllText(again));

        var jsonPath = Path.Combine(_dir.Path, "out.jsonl");
        FileScorer.Score(classifier, input, jsonPath, options);
        Assert.Equal(PredictionJson.Format(expected[0], "r0"), File.ReadAllLines(jsonPath)[0]);
    }

    [Fact]
    public void File_scoring_refuses_sampling_a_model_without_dropout_before_writing()
    {
        using var classifier = new TextClassifier(new NoisyPredictor(TaskKind.Binary, hasDropout: false));
        var input = _dir.Write("in.csv", "text\nhello\n");
        var output = Path.Combine(_dir.Path, "out.csv");
        Assert.Throws<NotSupportedException>(() => FileScorer.Score(classifier, input, output, new FileScoringOptions { Uncertainty = new() { McSamples = 3 } }));
        Assert.False(File.Exists(output));
        FileScorer.Score(classifier, input, output);
        Assert.Equal("0", CsvTable.Read(output).Column("epistemic").Single());
    }

    [Fact]
    public void The_manifest_keeps_the_uncertainty_defaults_and_validates_them()
    {
        var dir = _dir.Path;
        var manifest = new ModelManifest { Engine = "linear", Task = "binary", Labels = ["a", "b"] };
        manifest.Save(dir);
        Assert.DoesNotContain("uncertainty", File.ReadAllText(Path.Combine(dir, ModelManifest.FileName)));   // old packages stay as they were
        Assert.Null(ModelManifest.Load(dir).Uncertainty);
        (manifest with { Uncertainty = new UncertaintyOptions { McSamples = 30, McBatchSize = 64 } }).Save(dir);
        Assert.Equal(new UncertaintyOptions { McSamples = 30, McBatchSize = 64 }, ModelManifest.Load(dir).Uncertainty);

        foreach (var (key, value) in new[] { ("mc_samples", 0), ("mc_samples", MonteCarloDropout.MaxPasses + 1), ("mc_batch_size", 0) })
        {
            var path = Path.Combine(dir, ModelManifest.FileName);
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            json["uncertainty"]![key] = value;
            File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var e = Assert.Throws<InputException>(() => ModelManifest.Load(dir));
            Assert.Equal($"uncertainty.{key}", e.Field);
            Assert.NotNull(e.Line);
            (manifest with { Uncertainty = new UncertaintyOptions() }).Save(dir);
        }
    }

    [Fact]
    public void A_multilabel_evaluation_writes_per_label_columns_and_both_rejection_units()
    {
        var predictor = new NoisyPredictor(TaskKind.Multilabel);
        var schema = predictor.Manifest.Schema;
        var examples = Texts.Select((t, i) => new Example($"e{i}", t.Text, i % 2 == 0 ? [0, 1] : [2])).ToArray();
        var probabilities = predictor.PredictProbabilities(Texts);
        var layout = new RunLayout(Path.Combine(_dir.Path, "run"));
        var log = new List<string>();
        var evaluation = Evaluator.WithUncertainty(Evaluator.Score("test", schema, examples, probabilities, null), predictor, examples,
            new UncertaintyOptions { McSamples = 3 }, 5, log.Add);
        Assert.Empty(log);
        Assert.All(evaluation.Uncertainty!, u => Assert.Equal(3, u.Passes));
        Evaluator.Write(layout, schema, examples, evaluation, seed: 5);

        var table = CsvTable.Read(layout.Predictions("test"));
        Assert.Equal(["predictive_entropy", "aleatoric", "epistemic", "std_anger", "std_joy", "std_fear", "aleatoric_anger", "aleatoric_joy",
            "aleatoric_fear", "epistemic_anger", "epistemic_joy", "epistemic_fear"], table.Header.Skip(7));
        var sets = RejectionCsv.Read(Path.Combine(layout.MetricsDirectory, "rejection_test.csv"));
        Assert.Equal([RejectionUnit.Example, RejectionUnit.Decision], sets.Select(s => s.Unit));

        // Without an uncertainty setting: no columns, curves from the single pass (epistemic 0 everywhere).
        var plain = Evaluator.WithUncertainty(Evaluator.Score("val", schema, examples, probabilities, null), predictor, examples, null, 5);
        Assert.Null(plain.Uncertainty);
        Evaluator.Write(layout, schema, examples, plain, seed: 5);
        Assert.Equal(7, CsvTable.Read(layout.Predictions("val")).Header.Count);
        Assert.True(File.Exists(Path.Combine(layout.MetricsDirectory, "rejection_val.csv")));

        // A model without dropout asked for passes: a warning, and the uncertainty of one pass.
        var flat = new NoisyPredictor(TaskKind.Multilabel, hasDropout: false);
        var single = Evaluator.WithUncertainty(Evaluator.Score("val", schema, examples, probabilities, null), flat, examples,
            new UncertaintyOptions { McSamples = 3 }, 5, log.Add);
        Assert.Contains("has no dropout", Assert.Single(log));
        Assert.All(single.Uncertainty!, u => Assert.Equal(0.0, u.Epistemic));
    }

    private const string Config = """
        name: u
        data:
          path: d.csv
        uncertainty:
          mc_samples: 50
          mc_batch_size: 128
        """;

    [Fact]
    public void The_config_section_is_read_and_checked_with_file_line_and_key()
    {
        var config = ExperimentConfig.Load(_dir.Write("c.yaml", Config));
        Assert.Equal(new UncertaintyOptions { McSamples = 50, McBatchSize = 128 }, config.Uncertainty);
        Assert.Null(ExperimentConfig.Load(_dir.Write("none.yaml", "name: u\ndata:\n  path: d.csv\n")).Uncertainty);

        void Refused(string yaml, string key, long line, string mention)
        {
            var path = _dir.Write("bad.yaml", yaml);
            var e = Assert.Throws<InputException>(() => ExperimentConfig.Load(path));
            Assert.Equal(path, e.File);
            Assert.Equal(key, e.Field);
            Assert.Equal(line, e.Line);
            Assert.Contains(mention, e.Reason);
        }
        Refused(Config.Replace("mc_samples: 50", "mc_sample: 50"), "uncertainty.mc_sample", 5, "");
        Refused(Config.Replace("mc_samples: 50", "mc_samples: 0"), "uncertainty.mc_samples", 5, "between 1 and");
        Refused(Config.Replace("mc_samples: 50", "mc_samples: 10001"), "uncertainty.mc_samples", 5, "between 1 and");
        Refused(Config.Replace("mc_samples: 50", "mc_samples: 2.5"), "uncertainty.mc_samples", 5, "whole number");
        Refused(Config.Replace("mc_batch_size: 128", "mc_batch_size: -1"), "uncertainty.mc_batch_size", 6, "at least 1");
    }
}
