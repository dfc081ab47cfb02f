using System.Diagnostics;
using Classify.Core.Calibration;
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
/// One experiment from data to run folder, in two stages. <see cref="Prepare"/> loads and validates the data, parses
/// every option (the engine's section into its typed options) and splits, writing nothing, so bad input fails before a
/// run folder or ledger row exists; it also refuses a run folder that already holds a run (unless
/// <see cref="ExistingRun"/> says otherwise) or that another process is writing. <see cref="PreparedExperiment.Run"/>
/// then locks the run folder (<see cref="RunLock"/>), cleans, trains, fits a temperature on validation and tunes
/// decision thresholds (on the calibrated probabilities) if asked, writes the model package once, evaluates on
/// validation and test, records everything in the run folder and the ledger, and calls the artifact writers (report,
/// model card, summary) before releasing the lock. A tuner prepares once and runs
/// many trials (<see cref="PreparedExperiment.WithConfig"/>).
/// <code>
/// var result = new Experiment(ExperimentConfig.Load("examples/tweets-baseline.yaml")) { Artifacts = [new RunArtifacts()] }.Run();
/// </code>
/// </summary>
public sealed class Experiment
{
    private readonly ExperimentConfig _config;
    private readonly IClassifierTrainer? _trainer;

    /// <summary>
    /// Creates an experiment. <paramref name="trainer"/> must be for <see cref="ExperimentConfig.Engine"/>; when null it
    /// comes from the registered engines (<see cref="ModelEngines.TrainerFor"/>).
    /// </summary>
    public Experiment(ExperimentConfig config, IClassifierTrainer? trainer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (trainer is not null && trainer.Engine != config.Engine)
            throw new ArgumentException($"The config asks for engine '{config.Engine}' but the trainer is '{trainer.Engine}'.", nameof(trainer));
        _config = config;
        _trainer = trainer;
    }

    /// <summary>Receives one-line status messages (data summary, split summary, where things were written).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Receives the split summary as soon as the split is known (the CLI prints it as a table).</summary>
    public Action<SplitSummary>? SplitReady { get; init; }

    /// <summary>Told of every evaluation during training; may stop it (pruning).</summary>
    public IReadOnlyList<ITrainerCallback> Callbacks { get; init; } = [];

    /// <summary>Written after the run completed, in order (report, model card, summary …).</summary>
    public IReadOnlyList<IRunArtifactWriter> Artifacts { get; init; } = [];

    /// <summary>Opens the ledger of a runs folder (default: the SQLite <see cref="Ledger"/> in <see cref="RunLayout.LedgerDatabase"/>).</summary>
    public Func<RunLayout, ILedger> OpenLedger { get; init; } = layout => Ledger.Open(layout.LedgerDatabase);

    /// <summary>
    /// What to do when the run folder already holds a run (default: refuse; see <see cref="ExistingRuns"/>). A config
    /// whose engine section sets <c>resume_from_checkpoint</c> continues in its folder unless this is
    /// <see cref="ExistingRunPolicy.Overwrite"/>.
    /// </summary>
    public ExistingRunPolicy ExistingRun { get; init; } = ExistingRunPolicy.Refuse;

    /// <summary>Prepares and runs the experiment.</summary>
    public ExperimentResult Run(IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default) =>
        Prepare(cancellationToken).Run(progress, cancellationToken);

    /// <summary>
    /// Checks the run folder (<see cref="ExistingRuns.Check"/>), loads and validates the data, parses every option and
    /// splits, writing nothing.
    /// </summary>
    /// <exception cref="InputException">The run folder is taken, bad data, a bad option (naming the file, line and key) or an empty training split.</exception>
    public PreparedExperiment Prepare(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var trainer = _trainer ?? ModelEngines.TrainerFor(_config.Engine, _config.SourceOf("engine"), _config.LineOf("engine"));
        ExistingRuns.Check(new RunLayout(Path.Combine(_config.RunsDirectory, _config.Name)), PolicyFor(_config));
        var dataset = Sampled(DatasetLoader.Load(_config.Data.Path, _config.DatasetOptions(), cancellationToken));
        var schema = dataset.Schema;
        var stats = dataset.Stats;
        Log?.Invoke($"data: {stats.RowsUsed:N0} examples from {stats.RowsRead:N0} rows ({stats.EmptyDropped} empty, " +
                    $"{stats.DuplicatesDropped} duplicates dropped; {stats.ConflictingDuplicates} conflicting duplicates kept; " +
                    $"{stats.InvalidUtf8Replaced} invalid UTF-8 sequences replaced); task {schema}");
        foreach (var warning in stats.Warnings) Log?.Invoke($"warning: {warning}");
        var options = ParseEngineOptions(_config, trainer, schema);
        CheckDecision(_config, schema);
        var layout = new RunLayout(Path.Combine(_config.RunsDirectory, _config.Name));
        var split = MakeSplit(layout, dataset);
        var summary = split.Summarize(schema);
        SplitReady?.Invoke(summary);
        if (split.Train.Count == 0) throw new InputException("the training split is empty", _config.Data.Path);
        CheckCalibration(_config, schema, split);
        CheckAbstain(_config, split);
        trainer.CheckTrainingData(options, schema, split.Train, split.Val.Count, Log);
        return new PreparedExperiment(this, _config, trainer, options, dataset, split, summary, clock.Elapsed.TotalSeconds);
    }

    // data.sample: a stratified slice, chosen before the split so that val and test shrink with it.
    private Dataset Sampled(Dataset dataset)
    {
        if (_config.Data.Sample is not { } sample) return dataset;
        double fraction = sample < 1 ? sample : Math.Min(1, sample / dataset.Count);
        var kept = Splitting.DatasetSplitter.Sample(dataset.Examples, dataset.Schema, fraction, (ulong)_config.Seed);
        Log?.Invoke($"data.sample {sample.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {kept.Count:N0} of {dataset.Count:N0} examples (stratified)");
        var stats = dataset.Stats with
        {
            Sample = sample.ToString(System.Globalization.CultureInfo.InvariantCulture), RowsBeforeSample = dataset.Count, RowsUsed = kept.Count,
        };
        return new Dataset(kept, dataset.Schema, stats);
    }

    /// <summary>
    /// The policy for an existing folder: <see cref="ExistingRun"/>, except that a config resuming from a checkpoint
    /// (<c>&lt;engine&gt;.resume_from_checkpoint</c> set and not false) continues in its folder.
    /// </summary>
    /// <exception cref="InputException">Overwriting a run whose latest checkpoint the config resumes from.</exception>
    private ExistingRunPolicy PolicyFor(ExperimentConfig config)
    {
        var resume = config.EngineOptions["resume_from_checkpoint"];
        bool resumes = resume is not null && !(resume.GetValueKind() == System.Text.Json.JsonValueKind.False);
        if (!resumes) return ExistingRun;
        if (ExistingRun != ExistingRunPolicy.Overwrite) return ExistingRunPolicy.Continue;
        if (resume!.GetValueKind() == System.Text.Json.JsonValueKind.True)
            throw config.Error($"{config.Engine}.resume_from_checkpoint",
                $"{config.Engine}.resume_from_checkpoint: true resumes from this run's checkpoints, which {ExistingRuns.OverwriteFlag} would delete; give one or the other");
        return ExistingRunPolicy.Overwrite;
    }

    /// <summary>The engine section parsed into the trainer's typed options (once per config).</summary>
    /// <remarks>Also refuses <c>uncertainty.mc_samples</c> above 1 for options whose models have no dropout (an ensemble's members are its passes).</remarks>
    internal static object ParseEngineOptions(ExperimentConfig config, IClassifierTrainer trainer, LabelSchema schema)
    {
        var options = trainer.ParseOptions(config.EngineSection(), schema);
        if (config.Uncertainty is { Sampled: true } u && !trainer.ModelsHaveDropout(options))
            throw config.Error("uncertainty.mc_samples", config.EngineOptions["ensemble"] is not null
                ? $"this model is an ensemble ({config.Engine}.ensemble): its uncertainty always comes from its members, so Monte-Carlo samples do not apply; " +
                  "use mc_samples: 1 (the default)"
                : $"this model has no dropout: epistemic uncertainty would be 0 in all {u.McSamples} passes ({config.Engine} models have none); " +
                "use mc_samples: 1 (the predictive entropy of the single pass)");
        return options;
    }

    private static void CheckDecision(ExperimentConfig config, LabelSchema schema)
    {
        if (config.TuneThresholds && schema.Kind == TaskKind.Multiclass)
            throw config.Error("decision.tune_thresholds",
                "decision.tune_thresholds applies to binary and multilabel tasks; a multiclass model picks the most probable label");
    }

    // Temperature scaling learns from the validation split: refuse before anything is written when it cannot.
    private static void CheckCalibration(ExperimentConfig config, LabelSchema schema, DatasetSplit split)
    {
        if (!config.Calibration.Enabled) return;
        if (config.Calibration.PerLabel && !schema.IsMultilabel)
            throw config.Error("calibration.per_label",
                $"calibration.per_label applies to multilabel tasks; a {schema.Kind.ToName()} model has one temperature (per-label temperatures would change its most probable label)");
        if (split.Val.Count == 0)
            throw config.Error("calibration.method",
                "calibration.method: temperature is fitted on the validation split, which is empty (give split.val a fraction above 0, or validation rows in the split column)");
        if (TemperatureScaling.FindProblem(schema, split.Val.Select(e => e.Labels).ToArray()) is { } problem)
            throw config.Error("calibration.method", $"calibration.method: temperature cannot be fitted on the validation split: {problem}");
    }

    // The abstain threshold is chosen on the validation split: refuse before anything is written when there is none.
    private static void CheckAbstain(ExperimentConfig config, DatasetSplit split)
    {
        if (config.Abstain is not null && split.Val.Count == 0)
            throw config.Error("decision.abstain",
                "decision.abstain chooses its threshold on the validation split, which is empty (give split.val a fraction above 0, or validation rows in the split column)");
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

    /// <summary>The ledger row of a run.</summary>
    public static RunRecord ToRecord(RunInfo info, RunLayout layout, MetricReport? val, MetricReport? test)
    {
        var metrics = new Dictionary<string, double?>();
        foreach (var column in MetricKeys.LedgerColumns)
            if ((column.Split == "val" ? val : column.Split == "test" ? test : null) is { } report)
                metrics[column.Column] = report.TryGet(column.Key, out var v) ? v : null;
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

    /// <summary>
    /// The second stage: a loaded, validated and split experiment, ready to run (see <see cref="Experiment"/>).
    /// </summary>
    public sealed class PreparedExperiment
    {
        private readonly Experiment _owner;
        private readonly double _prepareSeconds;

        internal PreparedExperiment(Experiment owner, ExperimentConfig config, IClassifierTrainer trainer, object engineOptions, Dataset dataset,
            DatasetSplit split, SplitSummary summary, double prepareSeconds)
        {
            _owner = owner;
            Config = config;
            Trainer = trainer;
            EngineOptions = engineOptions;
            Dataset = dataset;
            Split = split;
            Summary = summary;
            _prepareSeconds = prepareSeconds;
        }

        /// <summary>The validated configuration.</summary>
        public ExperimentConfig Config { get; }
        /// <summary>The engine's trainer.</summary>
        public IClassifierTrainer Trainer { get; }
        /// <summary>The engine section parsed into the trainer's typed options.</summary>
        public object EngineOptions { get; }
        /// <summary>The loaded data (texts as read, before cleaning).</summary>
        public Dataset Dataset { get; }
        /// <summary>Task and labels.</summary>
        public LabelSchema Schema => Dataset.Schema;
        /// <summary>The train / validation / test split.</summary>
        public DatasetSplit Split { get; }
        /// <summary>Split sizes and label proportions.</summary>
        public SplitSummary Summary { get; }

        /// <summary>
        /// The same data and split with another configuration (a tuning trial): the name, cleaning, context, decision and
        /// engine settings may differ; the data, split and seed may not. The trial's engine section is parsed here.
        /// </summary>
        /// <exception cref="InputException">A bad engine option in <paramref name="trial"/>.</exception>
        /// <exception cref="ArgumentException"><paramref name="trial"/> reads other data, splits otherwise or names another engine.</exception>
        public PreparedExperiment WithConfig(ExperimentConfig trial)
        {
            ArgumentNullException.ThrowIfNull(trial);
            if (!System.Text.Json.Nodes.JsonNode.DeepEquals(trial.Resolved["data"], Config.Resolved["data"])
                || !System.Text.Json.Nodes.JsonNode.DeepEquals(trial.Resolved["split"], Config.Resolved["split"])
                || trial.Seed != Config.Seed || trial.Engine != Config.Engine)
                throw new ArgumentException("a trial shares the data, split, seed and engine of the prepared experiment", nameof(trial));
            CheckDecision(trial, Schema);
            CheckCalibration(trial, Schema, Split);
            CheckAbstain(trial, Split);
            var options = ParseEngineOptions(trial, Trainer, Schema);
            Trainer.CheckTrainingData(options, Schema, Split.Train, Split.Val.Count, _owner.Log);
            return new PreparedExperiment(_owner, trial, Trainer, options, Dataset, Split, Summary, _prepareSeconds);
        }

        /// <summary>Trains, evaluates and records the run (see <see cref="Experiment"/>).</summary>
        public ExperimentResult Run(IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
        {
            var total = Stopwatch.StartNew();
            var created = DateTime.UtcNow;
            var schema = Schema;
            var layout = new RunLayout(Path.Combine(Config.RunsDirectory, Config.Name));
            var runId = $"{Config.Name}-{created:yyyyMMddTHHmmssfff}";

            // From here the folder is this process's (run.lock) until the artifacts are written; a second writer of the
            // same name is refused, and one that finds the lock of a dead process marks that run interrupted.
            using var runLock = RunLock.Acquire(layout, "train", runId);
            using var ledger = _owner.OpenLedger(layout);
            ExistingRuns.Claim(runLock, _owner.PolicyFor(Config), ledger, _owner.Log);

            // run.json says how far the run got if anything fails.
            var info = new RunInfo
            {
                Name = Config.Name, RunId = runId, CreatedUtc = created, Seed = Config.Seed, Task = schema.Kind.ToName(), Labels = schema.Labels,
                Engine = Config.Engine, Config = Config.Resolved.DeepClone(), Data = RunDataInfo.From(Dataset.Stats),
                SplitSizes = Summary.Sizes(), ClassCounts = Summary.ClassCounts(), Versions = RunInfo.CurrentVersions(),
            };
            Split.ToIds().Save(layout.SplitsDirectory);   // first: a run.json always has its split beside it
            info.Save(layout);
            ledger.RecordRun(ToRecord(info, layout, null, null));

            ExperimentResult result;
            try
            {
                result = TrainAndEvaluate(layout, info, ledger, total, progress, cancellationToken);
            }
            catch (Exception e)
            {
                var failed = info with
                {
                    Status = e is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed, Error = e.Message, FinishedUtc = DateTime.UtcNow,
                    Timings = new Dictionary<string, double> { ["total_seconds"] = total.Elapsed.TotalSeconds + _prepareSeconds },
                };
                failed.Save(layout);
                ledger.RecordRun(ToRecord(failed, layout, null, null));
                throw;
            }
            WriteArtifacts(_owner.Artifacts, layout, _owner.Log, cancellationToken);
            return result;
        }

        /// <summary>
        /// Calls the artifact writers of a completed run (the run's lock still held). Cancelled midway, the run stays
        /// completed and the message says that <c>classify report</c> writes the rest.
        /// </summary>
        internal static void WriteArtifacts(IReadOnlyList<IRunArtifactWriter> writers, RunLayout layout, Action<string>? log, CancellationToken ct)
        {
            try
            {
                foreach (var writer in writers) writer.Write(layout, log, ct);
            }
            catch (OperationCanceledException)
            {
                log?.Invoke($"cancelled while writing the report; the run itself is complete (`classify report {layout.Root}` writes the report)");
                throw;
            }
        }

        private ExperimentResult TrainAndEvaluate(RunLayout layout, RunInfo info, ILedger ledger, Stopwatch total, IProgress<ProgressUpdate>? progress,
            CancellationToken ct)
        {
            var schema = Schema;
            var log = _owner.Log;
            var cleaner = Config.Cleaning.Any ? new TextCleaner(Config.Cleaning) : null;
            var train = Clean(Split.Train, cleaner);
            if (Config.Data.Oversample)
            {
                int before = train.Count;
                train = DatasetSplitter.Oversample(train, schema, (ulong)Config.Seed);
                log?.Invoke($"data.oversample: {train.Count - before:N0} copies added to the {before:N0} training examples (every class as large as the largest)");
                info = info with { Data = info.Data is { } d ? d with { OversampledRows = train.Count - before } : null };
                info.Save(layout);
            }
            var val = Clean(Split.Val, cleaner);
            var test = Clean(Split.Test, cleaner);

            var manifest = new ModelManifest
            {
                Engine = Trainer.Engine, Task = schema.Kind.ToName(), Labels = schema.Labels, Cleaning = Config.Cleaning,
                Context = Config.Context is { } context
                    ? context with { GroupColumn = Config.Data.Options.GroupColumn, OrderColumn = Config.Data.Options.OrderColumn, SpeakerColumn = Config.Data.Options.SpeakerColumn }
                    : null,
                Uncertainty = Config.Uncertainty,
            };
            var trainClock = Stopwatch.StartNew();
            var trainCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var outcome = Trainer.Train(new TrainingRequest
            {
                Schema = schema, Train = train, Validation = val, Options = EngineOptions, Seed = Config.Seed, Run = layout, Manifest = manifest,
                Progress = progress, Callbacks = _owner.Callbacks, Log = log,
            }, ct);
            double trainSeconds = trainClock.Elapsed.TotalSeconds;
            // CPU seconds (user + system, all threads) while training: on a shared machine the fairer cost figure
            double trainCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - trainCpu).TotalSeconds;
            using var model = outcome.Model;
            var predictor = model.Predictor;
            if (outcome.Trials.Count > 0) ledger.RecordTrials(info.RunId, outcome.Trials);

            var evalClock = Stopwatch.StartNew();
            IReadOnlyList<double>? thresholds = predictor.Manifest.Thresholds;
            double temperature = predictor.Manifest.Temperature;
            double[][]? valScores = val.Count > 0 ? Evaluator.ScoreAll(predictor, val, 256, "val", progress, ct) : null;
            var valGold = val.Select(e => e.Labels).ToArray();
            IReadOnlyList<double>? labelTemperatures = predictor.Manifest.LabelTemperatures;
            RunCalibrationInfo? calibrated = null;
            // Calibrated before thresholds are tuned: the thresholds apply to the calibrated probabilities.
            if (Config.Calibration.Enabled)
            {
                if (valScores is null) throw Config.Error("calibration.method", "calibration.method: temperature needs a validation split");
                calibrated = Calibrate(valGold, valScores, predictor.Link, log);
                (temperature, labelTemperatures) = (calibrated.Temperature, calibrated.LabelTemperatures);
            }
            double[][]? valProbabilities = valScores is null ? null : LinkFunction.Apply(valScores, predictor.Link, temperature, labelTemperatures);
            if (Config.TuneThresholds)
            {
                if (valProbabilities is null)
                    throw Config.Error("decision.tune_thresholds", "decision.tune_thresholds needs a validation split");
                thresholds = ThresholdTuner.Tune(schema, valGold, valProbabilities);
            }
            // Last of the validation fits: the abstain rule ranks the probabilities and decisions the package will produce.
            RunAbstainInfo? abstainInfo = null;
            AbstainRule? abstain = null;
            if (Config.Abstain is { } target)
            {
                if (valProbabilities is null) throw Config.Error("decision.abstain", "decision.abstain needs a validation split");
                (abstain, abstainInfo) = FitAbstain(target, valGold, valProbabilities, thresholds);
            }
            // The package is written once, whole, with its final manifest.
            var packaged = predictor.Manifest with
            {
                Thresholds = thresholds, Temperature = temperature, LabelTemperatures = labelTemperatures, Abstain = abstain,
            };
            AtomicFile.WriteDirectory(layout.ModelDirectory, dir => model.Save(dir, packaged));
            if (Config.TuneThresholds) log?.Invoke("decision thresholds tuned on validation and saved in model/classify.json");
            if (abstainInfo is not null) log?.Invoke(AbstainMessage(abstainInfo, valGold.Length));

            var originals = Dataset.Examples.ToDictionary(e => e.Id, e => e.Text);
            MetricReport? valReport = null, testReport = null;
            ulong mcSeed = unchecked((ulong)Config.Seed);   // MC passes and the random rejection ranker (each derives its own stream)
            // One split's metrics, calibration block, uncertainty and files, from its scores and the packaged probabilities.
            MetricReport EvaluateSplit(string split, IReadOnlyList<Example> examples, double[][] scores, double[][] probabilities)
            {
                var gold = examples.Select(e => e.Labels).ToArray();
                var evaluation = Evaluator.Score(split, schema, examples, probabilities, thresholds,
                    calibrated is null ? null : CalibrationSummary.Compute(schema, gold, scores, predictor.Link, temperature, labelTemperatures), abstain);
                evaluation = Evaluator.WithUncertainty(evaluation, predictor, examples, Config.Uncertainty, mcSeed, log, packaged, ct);
                Evaluator.Write(layout, schema, examples, evaluation, examples.Select(e => originals[e.Id]).ToArray(), mcSeed);
                return evaluation.Report;
            }
            if (valScores is not null) valReport = EvaluateSplit("val", val, valScores, valProbabilities!);
            if (test.Count > 0)
            {
                var testScores = Evaluator.ScoreAll(predictor, test, 256, "test", progress, ct);
                testReport = EvaluateSplit("test", test, testScores, LinkFunction.Apply(testScores, predictor.Link, packaged));
            }
            double evalSeconds = evalClock.Elapsed.TotalSeconds;

            var done = info with
            {
                Calibration = calibrated, Abstain = abstainInfo,
                Status = RunStatus.Completed, FinishedUtc = DateTime.UtcNow, Best = outcome.Best?.DeepClone(), Training = outcome.Summary?.DeepClone(),
                Timings = new Dictionary<string, double>
                {
                    ["total_seconds"] = total.Elapsed.TotalSeconds + _prepareSeconds, ["load_seconds"] = _prepareSeconds,
                    ["train_seconds"] = trainSeconds, ["train_cpu_seconds"] = trainCpuSeconds, ["eval_seconds"] = evalSeconds,
                },
            };
            done.Save(layout);
            ledger.RecordRun(ToRecord(done, layout, valReport, testReport));
            ledger.RecordPerClass(done.RunId, PerClassRecord.From("val", valReport).Concat(PerClassRecord.From("test", testReport)));
            return new ExperimentResult(layout, done, Dataset.Stats, Summary, valReport, testReport, outcome.Trials);
        }

        /// <summary>Fits the configured temperature(s) on the validation scores and says what was fitted.</summary>
        private RunCalibrationInfo Calibrate(int[][] valGold, double[][] valScores, ScoreLink link, Action<string>? log)
        {
            const string Saved = "saved in model/classify.json";
            string range = $"{TemperatureScaling.MinTemperature}–{TemperatureScaling.MaxTemperature}";
            if (Config.Calibration.PerLabel)
            {
                var fit = TemperatureScaling.FitPerLabel(Schema, valGold, valScores, link);
                log?.Invoke($"calibration: {Schema.Count} label temperatures ({fit.Temperatures.Min():0.###}–{fit.Temperatures.Max():0.###}) fitted on validation " +
                            $"(NLL {fit.NllBefore:0.####} → {fit.NllAfter:0.####}); {Saved}");
                if (fit.SharedLabels.Count > 0)
                    log?.Invoke($"calibration: {fit.SharedLabels.Count} labels without both present and absent validation examples use the shared temperature {fit.Shared.Temperature:0.####} " +
                                $"({ReportNames(fit.SharedLabels)})");
                if (fit.AtBoundLabels.Count > 0)
                    log?.Invoke($"warning: the temperatures of {ReportNames(fit.AtBoundLabels)} are at the end of the searched range ({range}); their validation NLL kept falling towards it");
                return new RunCalibrationInfo
                {
                    Method = "temperature", Temperature = 1, LabelTemperatures = fit.Temperatures, NllBefore = fit.NllBefore, NllAfter = fit.NllAfter,
                };
            }
            var shared = TemperatureScaling.Fit(Schema, valGold, valScores, link);
            log?.Invoke($"calibration: temperature {shared.Temperature:0.####} fitted on validation (NLL {shared.NllBefore:0.####} → {shared.NllAfter:0.####}); {Saved}");
            if (shared.AtBound)
                log?.Invoke($"warning: the fitted temperature is at the end of the searched range ({range}); the validation NLL kept falling towards it (is the validation split separable, or tiny?)");
            return new RunCalibrationInfo { Method = "temperature", Temperature = shared.Temperature, NllBefore = shared.NllBefore, NllAfter = shared.NllAfter };
        }

        /// <summary>
        /// Fits the abstain threshold on the validation probabilities and the decisions they give; an unreachable accuracy
        /// target gives no rule (<see cref="AbstainMessage"/> then warns, and run.json says so).
        /// </summary>
        private (AbstainRule? Rule, RunAbstainInfo Info) FitAbstain(AbstainTarget target, int[][] valGold, double[][] valProbabilities,
            IReadOnlyList<double>? thresholds)
        {
            var predicted = valProbabilities.Select(p => DecisionRule.Apply(Schema, p, thresholds)).ToArray();
            var score = target.Score ?? AbstainRule.DefaultScore(Schema.Kind);
            var confidence = valProbabilities.Select(p => AbstainRule.Confidence(score, Schema, p, thresholds)).ToArray();
            var fit = AbstainTuner.Fit(target, confidence, AbstainTuner.Correct(valGold, predicted));
            var info = new RunAbstainInfo
            {
                Score = score, Coverage = target.Coverage, TargetAccuracy = target.TargetAccuracy, Reached = fit.Reached, Threshold = fit.Threshold,
                ValidationCoverage = fit.Coverage, ValidationAccuracy = fit.Accuracy,
            };
            return (fit.ToRule(target, score), info);
        }

        /// <summary>The log line of an abstain fit: what was stored, or a warning that the target was not reached and nothing was.</summary>
        private static string AbstainMessage(RunAbstainInfo fit, int validationCount)
        {
            var kept = (int)Math.Round(fit.ValidationCoverage * validationCount);   // coverage is kept / count
            var target = fit.Coverage is { } c ? $"coverage {c:0.####}" : $"target_accuracy {fit.TargetAccuracy:0.####}";
            return fit.Reached
                ? $"abstain: {fit.Score} threshold {fit.Threshold:0.####} for {target} keeps {kept:N0} of {validationCount:N0} validation examples " +
                  $"(coverage {fit.ValidationCoverage:0.####}, accuracy {fit.ValidationAccuracy:0.####}); saved in model/classify.json"
                : $"warning: decision.abstain.target_accuracy {fit.TargetAccuracy:0.####} is not reached on validation: the best is accuracy {fit.ValidationAccuracy:0.####} " +
                  $"at coverage {fit.ValidationCoverage:0.####} ({kept:N0} examples); NO abstain rule is stored, the model always decides " +
                  "(lower the target, or use decision.abstain.coverage)";
        }

        private string ReportNames(IReadOnlyList<int> labels) =>
            string.Join(", ", labels.Take(10).Select(k => Schema.Labels[k])) + (labels.Count > 10 ? $", … {labels.Count - 10} more" : "");

        private static IReadOnlyList<Example> Clean(IReadOnlyList<Example> examples, TextCleaner? cleaner)
        {
            if (cleaner is null) return examples;
            var cleaned = cleaner.Clean(examples.Select(e => e.Text).ToArray());
            var result = new Example[examples.Count];
            for (int i = 0; i < result.Length; i++)
                result[i] = examples[i] with { Text = cleaned[i], Context = examples[i].Context?.Select(cleaner.Clean).ToArray() };
            return result;
        }
    }
}
