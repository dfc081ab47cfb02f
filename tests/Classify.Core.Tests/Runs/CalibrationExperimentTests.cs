using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Classify.Core.Calibration;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Runs;

/// <summary><c>calibration.method: temperature</c> through a whole experiment, and the config errors it can raise.</summary>
public sealed class CalibrationExperimentTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunsDir => Path.Combine(_dir.Path, "runs");

    /// <summary>
    /// 200 reviews of several words each; naive Bayes adds up every word's evidence as if independent, so it is
    /// overconfident, and some reviews carry a word of the other side or the other label.
    /// </summary>
    private string WriteReviews(Func<int, string>? split = null)
    {
        string[] good = ["good", "great", "lovely", "happy", "excellent", "fine", "nice"];
        string[] bad = ["bad", "awful", "sad", "terrible", "poor", "broken", "rude"];
        var sb = new StringBuilder(split is null ? "id,text,label\n" : "id,text,label,split\n");
        for (int i = 0; i < 200; i++)
        {
            bool positive = i % 2 == 0;
            var (own, other) = positive ? (good, bad) : (bad, good);
            var words = $"{own[i % 7]} {own[(i / 7) % 7]} {own[(i / 3) % 7]} {(i % 3 == 0 ? other[(i / 2) % 7] : "the")} {(i % 4 == 1 ? other[i % 7] : "room")}";
            // One review in six carries the other label (label noise), so no model can be sure of everything.
            bool labelledPositive = i % 6 is 2 or 5 ? !positive : positive;
            sb.Append($"r{i},{words},{(labelledPositive ? "pos" : "neg")}{(split is null ? "" : "," + split(i))}\n");
        }
        return _dir.Write("reviews.csv", sb.ToString());
    }

    private ExperimentConfig Config(string extra, Func<int, string>? split = null)
    {
        var data = WriteReviews(split);
        var path = _dir.Write("exp.yaml", NaiveBayesConfig.Yaml(RunsDir, data, extra, splitColumn: split is not null));
        return ExperimentConfig.Load(path);
    }

    [Fact]
    public void A_temperature_is_fitted_on_validation_before_thresholds_and_stored_in_the_manifest_metrics_and_run_json()
    {
        var log = new List<string>();
        var config = Config("calibration:\n  method: temperature\ndecision:\n  tune_thresholds: true");
        Assert.Equal(CalibrationMethod.Temperature, config.Calibration.Method);
        var result = new Experiment(config, new NaiveBayesTrainer()) { OpenLedger = _ => new MemoryLedger(), Log = log.Add }.Run();

        var manifest = ModelManifest.Load(result.Layout.ModelDirectory);
        double t = manifest.Temperature;
        Assert.True(t > 1.2, $"naive Bayes is overconfident; fitted temperature {t}");
        Assert.Equal(t, RunInfo.Load(result.Layout).Calibration!.Temperature);
        Assert.Contains(log, l => l.StartsWith("calibration: temperature ", StringComparison.Ordinal));

        foreach (var report in new[] { result.Validation!, result.Test! })
        {
            var c = report.Calibration!;
            Assert.Equal(t, c.Temperature);
            Assert.Equal("temperature", c.Method);
            Assert.Equal(CalibrationError.DefaultBinCount, c.After.Reliability.Count);
            // The file's metrics are those of the calibrated probabilities.
            Assert.Equal(report.LogLoss, c.After.Nll, 12);
            Assert.Equal(report.BrierScore, c.After.Brier, 12);
            Assert.Equal(report.Ece!.Value, c.After.Ece, 12);
        }
        var val = result.Validation!.Calibration!;
        Assert.True(val.After.Nll < val.Before.Nll, $"validation NLL {val.Before.Nll} → {val.After.Nll}");
        Assert.Equal(RunInfo.Load(result.Layout).Calibration!.NllAfter, val.After.Nll, 12);
        var reloaded = MetricReport.Load(result.Layout.Metrics("test"));
        Assert.Equal(result.Test!.Calibration!.After.Ece, reloaded.Calibration!.After.Ece);

        // The thresholds were tuned on the calibrated validation probabilities (those predictions/val.csv holds).
        var rows = File.ReadAllLines(result.Layout.Predictions("val")).Skip(1).Select(l => l.Split(',')).ToArray();
        var schema = new LabelSchema(TaskKind.Binary, ["neg", "pos"]);
        var gold = rows.Select(r => new[] { schema.IndexOf(r[2]) }).ToArray();
        var probabilities = rows.Select(r => new[] { double.Parse(r[4], CultureInfo.InvariantCulture), double.Parse(r[5], CultureInfo.InvariantCulture) }).ToArray();
        Assert.Equal(ThresholdTuner.Tune(schema, gold, probabilities), manifest.Thresholds);
        Assert.Equal(result.Validation!.LogLoss, MetricReport.ComputeLogLoss(schema, gold, probabilities), 12);
    }

    [Fact]
    public void Without_calibration_nothing_changes_but_ece_is_reported()
    {
        var result = new Experiment(Config(""), new NaiveBayesTrainer()) { OpenLedger = _ => new MemoryLedger() }.Run();
        Assert.Equal(1.0, ModelManifest.Load(result.Layout.ModelDirectory).Temperature);
        Assert.Null(result.Test!.Calibration);
        Assert.Null(RunInfo.Load(result.Layout).Calibration);
        Assert.True(result.Test.TryGet(MetricKeys.Ece, out var ece) && ece is > 0 and < 1);
        var json = File.ReadAllText(result.Layout.Metrics("test"));
        Assert.DoesNotContain("\"calibration\"", json);
        Assert.DoesNotContain("\"calibration\"", File.ReadAllText(result.Layout.RunJson));
    }

    [Theory]
    [InlineData("calibration:\n  method: platt", "calibration.method", "'platt' is not one of: none, temperature")]
    [InlineData("calibration:\n  method: temperature\n  per_lable: true", "calibration.per_lable", "unknown setting")]
    [InlineData("calibration:\n  method: temperature\n  per_label: maybe", "calibration.per_label", "expected true or false")]
    [InlineData("calibration: temperature", "calibration", "expected a mapping")]
    public void A_bad_calibration_setting_names_its_file_line_and_key(string section, string key, string reason)
    {
        var e = Assert.Throws<InputException>(() => Config(section));
        Assert.Equal(key, e.Field);
        Assert.EndsWith("exp.yaml", e.File);
        Assert.NotNull(e.Line);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Per_label_temperatures_without_the_method_are_refused_when_the_config_is_read()
    {
        var e = Assert.Throws<InputException>(() => Config("calibration:\n  per_label: true"));
        Assert.Equal("calibration.per_label", e.Field);
        Assert.Contains("needs calibration.method: temperature", e.Message);
    }

    /// <summary>Prepare refuses the config with an error on <paramref name="key"/> at its line, and nothing is written.</summary>
    private void AssertRefusedBeforeWriting(ExperimentConfig config, string key, string mention)
    {
        var e = Assert.Throws<InputException>(() => new Experiment(config, new NaiveBayesTrainer()).Prepare());
        Assert.Equal(key, e.Field);
        Assert.Contains(mention, e.Message);
        var name = key[(key.LastIndexOf('.') + 1)..];
        Assert.Equal(File.ReadAllLines(config.Source!).ToList().FindIndex(l => l.TrimStart().StartsWith(name + ":", StringComparison.Ordinal)) + 1, e.Line);
        Assert.False(Directory.Exists(RunsDir));
    }

    [Fact]
    public void Per_label_temperatures_of_a_single_label_task_are_refused_before_anything_is_written() =>
        AssertRefusedBeforeWriting(Config("calibration:\n  method: temperature\n  per_label: true"), "calibration.per_label", "applies to multilabel tasks");

    [Fact]
    public void Calibration_without_a_validation_split_is_refused_before_anything_is_written() =>
        AssertRefusedBeforeWriting(Config("split: {train: 0.8, val: 0, test: 0.2}\ncalibration:\n  method: temperature"),
            "calibration.method", "validation split, which is empty");

    [Fact]
    public void A_validation_split_of_one_label_is_refused_before_anything_is_written() =>
        // Validation rows are ids 0, 12, 24, …: even (positive reviews) and never relabelled (i % 6 = 0).
        AssertRefusedBeforeWriting(Config("calibration:\n  method: temperature", i => i % 12 == 0 ? "val" : i % 12 == 1 ? "test" : "train"),
            "calibration.method", "have the label 'pos'");

    [Fact]
    public void A_trial_that_turns_calibration_on_is_checked_like_the_config()
    {
        var config = Config("split: {train: 0.8, val: 0, test: 0.2}");
        var prepared = new Experiment(config, new NaiveBayesTrainer()).Prepare();
        var e = Assert.Throws<InputException>(() => prepared.WithConfig(config.With(["calibration.method=temperature"])));
        Assert.Equal("calibration.method", e.Field);
        Assert.Contains("validation split", e.Message);
    }
}
