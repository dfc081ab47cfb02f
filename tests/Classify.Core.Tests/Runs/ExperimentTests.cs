using System.Text;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;
using Classify.Core.Training;

namespace Classify.Core.Tests.Runs;

public sealed class ExperimentTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunsDir => Path.Combine(_dir.Path, "runs");

    /// <summary>120 short reviews, half positive, half negative, with a few words of each kind.</summary>
    private string WriteReviews()
    {
        string[] good = ["good", "great", "lovely", "happy", "excellent", "fine"];
        string[] bad = ["bad", "awful", "sad", "terrible", "poor", "broken"];
        string[] neutral = ["the", "service", "food", "day", "staff", "room"];
        var sb = new StringBuilder("id,text,label\n");
        for (int i = 0; i < 120; i++)
        {
            bool positive = i % 2 == 0;
            var words = positive ? good : bad;
            // Every fifth review also carries a word of the other side, so the task is not trivially separable.
            var noise = i % 5 == 0 ? (positive ? bad : good)[i % 6] : neutral[(i + 3) % 6];
            sb.Append($"r{i},{neutral[i % 6]} {words[i % 6]} {words[(i / 6) % 6]} {noise},{(positive ? "pos" : "neg")}\n");
        }
        return _dir.Write("reviews.csv", sb.ToString());
    }

    private string WriteConfig(string engineSection, string extra = "")
    {
        var data = WriteReviews();
        return _dir.Write("exp.yaml", NaiveBayesConfig.Yaml(RunsDir, data, $"{extra}\n{engineSection}"));
    }

    [Fact]
    public void Prepare_loads_validates_and_splits_without_writing_anything()
    {
        var trainer = new NaiveBayesTrainer();
        var config = ExperimentConfig.Load(WriteConfig("naive_bayes:\n  alpha: 0.5"));
        var prepared = new Experiment(config, trainer).Prepare();

        Assert.False(Directory.Exists(RunsDir));
        Assert.Equal(1, trainer.ParseCalls);
        Assert.Equal(new NaiveBayesOptions(0.5), prepared.EngineOptions);
        Assert.Equal(prepared.Dataset.Count, prepared.Split.Train.Count + prepared.Split.Val.Count + prepared.Split.Test.Count);
        Assert.True(prepared.Split.Train.Count > prepared.Split.Test.Count);
        Assert.Equal(["neg", "pos"], prepared.Schema.Labels);
    }

    [Fact]
    public void A_typo_in_the_engine_section_fails_before_the_run_folder_exists_naming_file_line_and_key()
    {
        var path = WriteConfig("naive_bayes:\n  alpha: 0.5\n  alpah: 2");
        var e = Assert.Throws<InputException>(() => new Experiment(ExperimentConfig.Load(path), new NaiveBayesTrainer()).Run());
        Assert.Equal(path, e.File);
        Assert.Equal("naive_bayes.alpah", e.Field);
        Assert.Equal(File.ReadAllLines(path).ToList().FindIndex(l => l.Contains("alpah")) + 1, e.Line);
        Assert.Contains("unknown setting", e.Message);
        Assert.False(Directory.Exists(RunsDir));
    }

    [Fact]
    public void A_bad_engine_value_names_its_line()
    {
        var path = WriteConfig("naive_bayes:\n  alpha: -1");
        var e = Assert.Throws<InputException>(() => new Experiment(ExperimentConfig.Load(path), new NaiveBayesTrainer()).Prepare());
        Assert.Equal("naive_bayes.alpha", e.Field);
        Assert.Equal(File.ReadAllLines(path).ToList().FindIndex(l => l.Contains("alpha: -1")) + 1, e.Line);
    }

    [Fact]
    public void An_engine_nobody_registered_is_an_input_error_on_the_engine_key()
    {
        var path = WriteConfig("naive_bayes:\n  alpha: 1");
        var config = ExperimentConfig.Load(path);
        var e = Assert.Throws<InputException>(() => new Experiment(config).Prepare());
        Assert.Equal("engine", e.Field);
        Assert.Equal(path, e.File);
        Assert.Equal(File.ReadAllLines(path).ToList().FindIndex(l => l.StartsWith("engine:")) + 1, e.Line);
        Assert.Contains("unknown engine 'naive_bayes'", e.Message);
    }

    [Fact]
    public void Run_writes_the_package_once_with_tuned_thresholds_records_the_ledger_and_then_calls_the_artifact_writers()
    {
        var trainer = new NaiveBayesTrainer();
        var ledger = new MemoryLedger();
        var writer = new RecordingWriter();
        var config = ExperimentConfig.Load(WriteConfig("naive_bayes:\n  alpha: 1", "decision:\n  tune_thresholds: true"));
        var result = new Experiment(config, trainer) { OpenLedger = _ => ledger, Artifacts = [writer] }.Run();

        Assert.Equal(1, trainer.SaveCalls);
        var manifest = ModelManifest.Load(result.Layout.ModelDirectory);
        Assert.Equal(NaiveBayesTrainer.Name, manifest.Engine);
        Assert.NotNull(manifest.Thresholds);
        Assert.True(File.Exists(Path.Combine(result.Layout.ModelDirectory, "nb.txt")));
        Assert.Empty(Directory.GetDirectories(result.Layout.Root, ".*"));   // no staging folder left behind
        Assert.True(File.Exists(result.Layout.Metrics("test")));
        Assert.True(File.Exists(result.Layout.Predictions("val")));
        Assert.Equal("completed", RunInfo.Load(result.Layout).Status);
        Assert.Equal("completed", Assert.Single(ledger.Runs).Status);
        Assert.NotEmpty(ledger.PerClass);
        Assert.Equal([("completed", result.Layout.Root)], writer.Calls);
        Assert.True(result.Test!.TryGet("accuracy", out var accuracy) && accuracy > 0.7, $"accuracy {accuracy}");
    }

    [Fact]
    public void A_prepared_experiment_runs_trials_with_other_engine_settings_on_the_same_split()
    {
        var trainer = new NaiveBayesTrainer();
        var config = ExperimentConfig.Load(WriteConfig("naive_bayes:\n  alpha: 1"));
        var prepared = new Experiment(config, trainer) { OpenLedger = _ => new MemoryLedger() }.Prepare();
        var trial = prepared.WithConfig(config.With(["naive_bayes.alpha=0.25", "name=nb-trial-1"]));

        Assert.Same(prepared.Split, trial.Split);
        Assert.Same(prepared.Dataset, trial.Dataset);
        Assert.Equal(2, trainer.ParseCalls);
        var result = trial.Run();
        Assert.Equal(new NaiveBayesOptions(0.25), Assert.Single(trainer.TrainedWith));
        Assert.EndsWith("nb-trial-1", result.Layout.Root);

        Assert.Throws<ArgumentException>(() => prepared.WithConfig(config.With(["seed=7"])));
        Assert.Throws<ArgumentException>(() => prepared.WithConfig(config.With(["data.text_col=other"])));
        Assert.Throws<InputException>(() => prepared.WithConfig(config.With(["naive_bayes.alpha=0"])));
    }

    [Fact]
    public void Callbacks_reach_the_trainer_and_can_stop_training()
    {
        var trainer = new NaiveBayesTrainer();
        var seen = new List<long>();
        var stopper = new StopAt(2, seen);
        var log = new List<string>();
        var config = ExperimentConfig.Load(WriteConfig("naive_bayes:\n  alpha: 1"));
        new Experiment(config, trainer) { Callbacks = [stopper], Log = log.Add, OpenLedger = _ => new MemoryLedger() }.Run();
        Assert.Equal([1L, 2L], seen);
        Assert.Contains(log, l => l == "stopped at 2: enough");
    }

    [Fact]
    public void A_trainer_that_fails_leaves_the_run_marked_failed_with_the_error()
    {
        var ledger = new MemoryLedger();
        var config = ExperimentConfig.Load(WriteConfig("naive_bayes:\n  alpha: 1"));
        var e = Assert.Throws<InvalidOperationException>(() =>
            new Experiment(config, new NaiveBayesTrainer()) { OpenLedger = _ => ledger, Callbacks = [new Throwing()] }.Run());
        var info = RunInfo.Load(new RunLayout(Path.Combine(RunsDir, "nb")));
        Assert.Equal("failed", info.Status);
        Assert.Equal(e.Message, info.Error);
        Assert.Equal("failed", Assert.Single(ledger.Runs).Status);
        Assert.False(Directory.Exists(Path.Combine(RunsDir, "nb", "model")));
    }

    [Fact]
    public void Tuning_thresholds_of_a_multiclass_task_is_refused_before_anything_is_written()
    {
        var path = _dir.Write("three.csv", "text,label\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"w{i % 3} x,c{i % 3}\n")));
        var config = ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = "mc", ["runs_dir"] = RunsDir, ["engine"] = NaiveBayesTrainer.Name, ["data"] = new JsonObject { ["path"] = path },
            ["decision"] = new JsonObject { ["tune_thresholds"] = true },
        });
        var e = Assert.Throws<InputException>(() => new Experiment(config, new NaiveBayesTrainer()).Prepare());
        Assert.Equal("decision.tune_thresholds", e.Field);
        Assert.False(Directory.Exists(RunsDir));
    }

    [Fact]
    public void A_trainer_for_another_engine_is_refused()
    {
        var config = ExperimentConfig.FromJson(new JsonObject { ["name"] = "x", ["data"] = new JsonObject { ["path"] = "d.csv" } });
        Assert.Throws<ArgumentException>(() => new Experiment(config, new NaiveBayesTrainer()));
    }

    private sealed class RecordingWriter : IRunArtifactWriter
    {
        public List<(string Status, string Root)> Calls { get; } = [];
        public void Write(RunLayout layout, Action<string>? log, CancellationToken cancellationToken) =>
            Calls.Add((RunInfo.Load(layout).Status, layout.Root));
    }

    private sealed class StopAt(long step, List<long> seen) : ITrainerCallback
    {
        public void OnEvaluate(TrainerEvaluation evaluation, TrainerControl control)
        {
            seen.Add(evaluation.Step);
            if (evaluation.Step >= step) control.Stop("enough");
        }
    }

    private sealed class Throwing : ITrainerCallback
    {
        public void OnEvaluate(TrainerEvaluation evaluation, TrainerControl control) => throw new InvalidOperationException("callback failed");
    }
}
