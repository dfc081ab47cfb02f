using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Cleaning;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Splitting;
using Classify.Core.Training;

namespace Classify.Core.Runs;

/// <summary>What one experiment produced.</summary>
/// <param name="Layout">The run folder.</param>
/// <param name="Info">run.json as written at the end.</param>
/// <param name="Data">The dataset statistics.</param>
/// <param name="Splits">Split sizes and label proportions.</param>
/// <param name="Validation">Validation metrics (null when the validation split is empty).</param>
/// <param name="Test">Test metrics (null when the test split is empty).</param>
/// <param name="Trials">Search trials (empty when there was no search).</param>
public sealed record ExperimentResult(RunLayout Layout, RunInfo Info, DatasetStats Data, SplitSummary Splits,
    MetricReport? Validation, MetricReport? Test, IReadOnlyList<TrialRecord> Trials);

/// <summary>
/// One experiment from data to run folder: load and validate the data, split it (reusing saved split ids),
/// clean the text, train with the configured engine, tune decision thresholds if asked, evaluate on validation
/// and test, and record everything in the run folder and the ledger. Bad input fails before anything is written.
/// </summary>
public sealed class Experiment
{
    private readonly ExperimentConfig _config;
    private readonly IClassifierTrainer _trainer;

    /// <summary>Creates an experiment; <paramref name="trainer"/> must be for <see cref="ExperimentConfig.Engine"/>.</summary>
    public Experiment(ExperimentConfig config, IClassifierTrainer trainer)
    {
        if (trainer.Engine != config.Engine)
            throw new ArgumentException($"The config asks for engine '{config.Engine}' but the trainer is '{trainer.Engine}'.", nameof(trainer));
        _config = config;
        _trainer = trainer;
    }

    /// <summary>Receives one-line status messages (data summary, split summary, where things were written).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Receives the split summary as soon as the split is known (the CLI prints it as a table).</summary>
    public Action<SplitSummary>? SplitReady { get; init; }

    /// <summary>Runs the experiment.</summary>
    public ExperimentResult Run(IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        var created = DateTime.UtcNow;

        // 1. Data: everything that can be wrong with the input is found before the run folder is touched.
        var dataset = DatasetLoader.Load(_config.Data.Path, ToDatasetOptions(_config), cancellationToken);
        var schema = dataset.Schema;
        var stats = dataset.Stats;
        Log?.Invoke($"data: {stats.RowsUsed:N0} examples from {stats.RowsRead:N0} rows ({stats.EmptyDropped} empty, " +
                    $"{stats.DuplicatesDropped} duplicates dropped; {stats.ConflictingDuplicates} conflicting duplicates kept; " +
                    $"{stats.InvalidUtf8Replaced} invalid UTF-8 sequences replaced); task {schema}");
        double loadSeconds = total.Elapsed.TotalSeconds;

        _trainer.ValidateOptions(_config.EngineOptions, schema, _config.Source);
        var layout = new RunLayout(Path.Combine(_config.RunsDirectory, _config.Name));
        var split = MakeSplit(layout, dataset);
        var summary = split.Summarize(schema);
        SplitReady?.Invoke(summary);
        if (split.Train.Count == 0) throw new InputException("the training split is empty", _config.Data.Path);

        // 2. The run folder exists from here on; run.json says how far it got if anything fails.
        var runId = $"{_config.Name}-{created:yyyyMMddTHHmmssfff}";
        var info = new RunInfo
        {
            Name = _config.Name, RunId = runId, CreatedUtc = created, Seed = _config.Seed, Task = schema.Kind.ToName(), Labels = schema.Labels,
            Engine = _config.Engine, Config = _config.Resolved.DeepClone(), Data = RunDataInfo.From(stats),
            SplitSizes = summary.Sizes(), ClassCounts = summary.ClassCounts(), Versions = RunInfo.CurrentVersions(),
        };
        Directory.CreateDirectory(layout.Root);
        split.ToIds().Save(layout.SplitsDirectory);
        info.Save(layout);
        using var ledger = Ledger.Open(layout.LedgerDatabase);
        ledger.RecordRun(ToRecord(info, layout, null, null));

        try
        {
            return Train(layout, info, ledger, dataset, split, summary, loadSeconds, total, progress, cancellationToken);
        }
        catch (Exception e)
        {
            var failed = info with
            {
                Status = e is OperationCanceledException ? "cancelled" : "failed", Error = e.Message, FinishedUtc = DateTime.UtcNow,
                Timings = new Dictionary<string, double> { ["total_seconds"] = total.Elapsed.TotalSeconds },
            };
            failed.Save(layout);
            ledger.RecordRun(ToRecord(failed, layout, null, null));
            throw;
        }
    }

    private ExperimentResult Train(RunLayout layout, RunInfo info, Ledger ledger, Dataset dataset, DatasetSplit split, SplitSummary summary,
        double loadSeconds, Stopwatch total, IProgress<ProgressUpdate>? progress, CancellationToken ct)
    {
        var schema = dataset.Schema;
        var cleaner = _config.Cleaning.Any ? new TextCleaner(_config.Cleaning) : null;
        var train = Clean(split.Train, cleaner);
        var val = Clean(split.Val, cleaner);
        var test = Clean(split.Test, cleaner);

        var manifest = new ModelManifest
        {
            Engine = _trainer.Engine, Task = schema.Kind.ToName(), Labels = schema.Labels, Cleaning = _config.Cleaning, Context = _config.Context,
        };
        var trainClock = Stopwatch.StartNew();
        var outcome = _trainer.Train(new TrainingRequest
        {
            Schema = schema, Train = train, Validation = val, Options = (JsonObject)_config.EngineOptions.DeepClone(), Seed = _config.Seed,
            ModelDirectory = layout.ModelDirectory, Run = layout, Manifest = manifest, Progress = progress,
        }, ct);
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        using var predictor = outcome.Predictor;
        if (outcome.Trials.Count > 0) ledger.RecordTrials(info.RunId, outcome.Trials);

        var evalClock = Stopwatch.StartNew();
        IReadOnlyList<double>? thresholds = predictor.Manifest.Thresholds;
        double[][]? valProbabilities = val.Count > 0 ? Evaluator.PredictAll(predictor, val, 256, "val", progress, ct) : null;
        if (_config.TuneThresholds && schema.Kind != TaskKind.Multiclass)
        {
            if (valProbabilities is null) throw new InputException("decision.tune_thresholds needs a validation split", _config.Source, field: "decision.tune_thresholds");
            thresholds = ThresholdTuner.Tune(schema, val.Select(e => e.Labels).ToArray(), valProbabilities);
            (predictor.Manifest with { Thresholds = thresholds }).Save(layout.ModelDirectory);
            Log?.Invoke("decision thresholds tuned on validation and saved in model/classify.json");
        }

        var originals = dataset.Examples.ToDictionary(e => e.Id, e => e.Text);
        MetricReport? valReport = null, testReport = null;
        if (valProbabilities is not null)
        {
            var evaluation = Evaluator.Score("val", schema, val, valProbabilities, thresholds);
            Evaluator.Write(layout, schema, val, evaluation, val.Select(e => originals[e.Id]).ToArray());
            valReport = evaluation.Report;
        }
        if (test.Count > 0)
        {
            var evaluation = Evaluator.Evaluate("test", predictor, schema, test, thresholds, 256, progress, ct);
            Evaluator.Write(layout, schema, test, evaluation, test.Select(e => originals[e.Id]).ToArray());
            testReport = evaluation.Report;
        }
        double evalSeconds = evalClock.Elapsed.TotalSeconds;

        var done = info with
        {
            Status = "completed", FinishedUtc = DateTime.UtcNow, Best = outcome.Best?.DeepClone(),
            Timings = new Dictionary<string, double>
            {
                ["total_seconds"] = total.Elapsed.TotalSeconds, ["load_seconds"] = loadSeconds, ["train_seconds"] = trainSeconds, ["eval_seconds"] = evalSeconds,
            },
        };
        done.Save(layout);
        ledger.RecordRun(ToRecord(done, layout, valReport, testReport));
        ledger.RecordPerClass(done.RunId, PerClassRecord.From("val", valReport).Concat(PerClassRecord.From("test", testReport)));
        return new ExperimentResult(layout, done, dataset.Stats, summary, valReport, testReport, outcome.Trials);
    }

    /// <summary>Maps the config's data section onto the loader's options.</summary>
    public static DatasetOptions ToDatasetOptions(ExperimentConfig config)
    {
        var d = config.Data;
        var options = new DatasetOptions
        {
            TextColumn = d.TextColumn,
            LabelColumn = d.LabelColumn ?? "label",
            LabelColumns = d.LabelColumns,
            IdColumn = d.IdColumn,
            GroupColumn = d.GroupColumn,
            SplitColumn = d.SplitColumn,
            OrderColumn = d.OrderColumn,
            SpeakerColumn = d.SpeakerColumn,
            ContextTurns = config.Context?.Turns ?? 0,
            Format = d.Format is null ? null : DataFormats.Parse(d.Format),
            HasHeader = d.HasHeader,
            LabelDelimiter = d.LabelDelimiter,
            LabelNamesFile = d.LabelsFile,
            Multilabel = d.Multilabel,
            Labels = d.Labels,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new InputException(e.Message, config.Source, field: "data", inner: e); }
        return options;
    }

    private DatasetSplit MakeSplit(RunLayout layout, Dataset dataset)
    {
        if (SplitIds.TryLoad(layout.SplitsDirectory) is { } saved)
        {
            Log?.Invoke($"split: reusing the saved ids in {layout.SplitsDirectory}");
            var reused = saved.Apply(dataset.Examples);
            if (reused.Unassigned.Count > 0)
                Log?.Invoke($"warning: {reused.Unassigned.Count} examples are in none of the saved split files (the data changed since the split was made); they are not used");
            return reused;
        }
        var s = _config.Split;
        return DatasetSplitter.Split(dataset.Examples, dataset.Schema, new SplitOptions
        {
            Fractions = new SplitFractions(s.Train, s.Val, s.Test),
            Seed = unchecked((ulong)_config.Seed),
        });
    }

    private static IReadOnlyList<Example> Clean(IReadOnlyList<Example> examples, TextCleaner? cleaner)
    {
        if (cleaner is null) return examples;
        var cleaned = cleaner.Clean(examples.Select(e => e.Text).ToArray());
        var result = new Example[examples.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = examples[i] with { Text = cleaned[i], Context = examples[i].Context?.Select(cleaner.Clean).ToArray() };
        return result;
    }


    /// <summary>The ledger row of a run.</summary>
    public static RunRecord ToRecord(RunInfo info, RunLayout layout, MetricReport? val, MetricReport? test)
    {
        var metrics = new Dictionary<string, double?>();
        void Put(string prefix, MetricReport? r, params string[] keys)
        {
            if (r is null) return;
            foreach (var k in keys) metrics[$"{prefix}_{k}"] = r.TryGet(k, out var v) ? v : null;
        }
        Put("val", val, MetricKeys.Accuracy, MetricKeys.MacroF1, MetricKeys.MicroF1, MetricKeys.WeightedF1);
        Put("test", test, MetricKeys.Accuracy, MetricKeys.MacroF1, MetricKeys.MicroF1, MetricKeys.WeightedF1, MetricKeys.RocAucMacro,
            MetricKeys.PrAucMacro, MetricKeys.LogLoss);
        return new RunRecord
        {
            RunId = info.RunId, Name = info.Name, CreatedUtc = info.CreatedUtc, FinishedUtc = info.FinishedUtc, Status = info.Status,
            Engine = info.Engine, Task = info.Task, DataPath = info.Data?.Path, DataSha256 = info.Data?.Sha256, Seed = info.Seed,
            NTrain = info.SplitSizes?.GetValueOrDefault("train"), NVal = info.SplitSizes?.GetValueOrDefault("val"),
            NTest = info.SplitSizes?.GetValueOrDefault("test"), Metrics = metrics,
            TrainSeconds = info.Timings?.GetValueOrDefault("train_seconds"), TotalSeconds = info.Timings?.GetValueOrDefault("total_seconds"),
            RunDirectory = layout.Root, ConfigJson = info.Config?.ToJsonString(),
        };
    }

}
