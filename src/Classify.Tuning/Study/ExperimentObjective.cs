using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Core.Training;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>
/// The objective of <c>classify tune</c>: a trial is the prepared experiment (data loaded and split once) with the
/// trial's parameters written over the config (<see cref="Experiment.PreparedExperiment.WithConfig"/>, which validates
/// them), trained and scored.
/// <list type="bullet">
/// <item><c>on: val</c>: the metric on the validation split. Transformer evaluations during training are intermediate
/// values (step = optimiser step), so a pruner can stop a trial early.</item>
/// <item><c>on: cv</c> (linear): the trial runs the linear engine's search with <c>cv = folds</c> (a one-candidate grid when
/// the config has none); its mean over folds is the value, and after each fold the running mean is an intermediate value
/// (step = folds scored), so a pruner can stop after a few folds.</item>
/// </list>
/// A trial's run folder (<c>tuning/trials/trial-NNNN</c>) is scratch: it exists while the trial runs (the engine
/// writes checkpoints and search tables there), is recorded in no ledger and is deleted when the trial ends; the best
/// configuration is retrained as a normal run by <see cref="TuningSession"/>.
/// </summary>
public sealed class ExperimentObjective : ITrialObjective
{
    private readonly Experiment.PreparedExperiment _prepared;
    private readonly TuneSettings _settings;
    private readonly string _trialsDirectory;
    private readonly TrialCallback _callback;

    private ExperimentObjective(Experiment.PreparedExperiment prepared, TuneSettings settings, string trialsDirectory, TrialCallback callback)
    {
        _prepared = prepared;
        _settings = settings;
        _trialsDirectory = trialsDirectory;
        _callback = callback;
    }

    /// <summary>The prepared base experiment (its data and split serve every trial).</summary>
    public Experiment.PreparedExperiment Prepared => _prepared;

    /// <summary>
    /// Loads and splits the data of <paramref name="config"/> once (writing nothing) for trials run in
    /// <paramref name="trialsDirectory"/>. <paramref name="log"/> hears the data and split summaries.
    /// </summary>
    /// <exception cref="InputException">Bad data or config, or a validation split the objective needs is empty.</exception>
    public static ExperimentObjective Prepare(ExperimentConfig config, TuneSettings settings, string trialsDirectory, Action<string>? log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        var callback = new TrialCallback();
        var logFilter = new TrialLogFilter(log);
        var experiment = new Experiment(config)
        {
            Log = logFilter.Write, Callbacks = [callback], Artifacts = [],
            // Trials are scratch runs: no ledger rows, and a folder left by a killed attempt is replaced.
            OpenLedger = _ => new DiscardingLedger(), ExistingRun = ExistingRunPolicy.Overwrite,
        };
        var prepared = experiment.Prepare(cancellationToken);
        if (settings.On == ObjectiveSplit.Validation && prepared.Split.Val.Count == 0)
            throw config.Error("tune.on", "on: val scores trials on the validation split, which is empty (give split.val a fraction above 0, or use on: cv)");
        logFilter.Quiet = true;   // from here on the experiment runs checks and trials
        return new ExperimentObjective(prepared, settings, Path.GetFullPath(trialsDirectory), callback);
    }

    /// <summary>The overrides (<c>key=value</c>, values as JSON, which YAML reads unchanged) that give a trial its parameters.</summary>
    public static IReadOnlyList<string> Overrides(IReadOnlyDictionary<string, object?> parameters) =>
        parameters.Select(kv => $"{kv.Key}={ParameterValues.ToJson(kv.Value)}").ToArray();

    /// <summary>
    /// The trial's config: the base config with <paramref name="parameters"/> written over it, named <paramref name="name"/>
    /// in <paramref name="runsDirectory"/>; with <paramref name="crossValidate"/>, the linear search set to k folds.
    /// </summary>
    internal ExperimentConfig TrialConfig(IReadOnlyDictionary<string, object?> parameters, string name, string runsDirectory, bool crossValidate)
    {
        var overrides = Overrides(parameters).ToList();
        overrides.Add($"name={ParameterValues.ToJson(name)}");
        overrides.Add($"runs_dir={ParameterValues.ToJson(runsDirectory)}");
        if (crossValidate)
        {
            overrides.Add($"linear.search.cv={_settings.Folds}");
            var baseGrid = _prepared.Config.EngineOptions["search"]?["grid"] as JsonObject;
            if (baseGrid is null || baseGrid.Count == 0)
            {
                // A search of one candidate is cross-validation of the trial's own settings: its C, or logistic
                // regression's default of 1.
                var c = parameters.TryGetValue("linear.logreg.C", out var trialC) ? trialC : _prepared.Config.EngineOptions["logreg"]?["C"] is { } node ? ParameterValues.FromNode(node) : 1.0;
                overrides.Add($"linear.search.grid={{C: [{ParameterValues.ToJson(c)}]}}");
            }
        }
        return _prepared.Config.With(overrides);
    }

    /// <summary>Checks every value the space can give each parameter against the engine once: the ends of ranges and every choice.</summary>
    /// <exception cref="InputException">A key or value the config refuses, naming the file, line and <c>tune.space.&lt;key&gt;</c>.</exception>
    public void CheckSpace(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var config = _prepared.Config;
        foreach (var parameter in space.Parameters)
        {
            IEnumerable<object?> probes = parameter switch
            {
                ChoiceDistribution c => c.Choices,
                IntDistribution i => [i.Low, i.High],
                FloatDistribution f => [f.Low, f.High],
                _ => [],
            };
            foreach (var value in probes)
            {
                try
                {
                    var trial = TrialConfig(new Dictionary<string, object?> { [parameter.Key] = value }, config.Name, config.RunsDirectory,
                        _settings.On == ObjectiveSplit.CrossValidation);
                    _prepared.WithConfig(trial);
                }
                catch (InputException e)
                {
                    var reason = e.Field is { } field && field != parameter.Key && !field.StartsWith("override", StringComparison.Ordinal)
                        ? $"{field}: {e.Reason}" : e.Reason;
                    throw config.Error($"{ExperimentConfig.TuneSection}.space.{parameter.Key}",
                        $"{parameter.Key} = {ParameterValues.ToJson(value)} is refused: {reason}", e);
                }
            }
        }
    }

    /// <inheritdoc />
    public double Evaluate(StudyTrial trial, TrialReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(reporter);
        bool crossValidate = _settings.On == ObjectiveSplit.CrossValidation;
        var name = $"trial-{trial.Number.ToString("D4", CultureInfo.InvariantCulture)}";
        var folder = Path.Combine(_trialsDirectory, name);
        var prepared = _prepared.WithConfig(TrialConfig(trial.Parameters, name, _trialsDirectory, crossValidate));
        _callback.Begin(reporter, _settings.Metric, crossValidate);
        try
        {
            var result = prepared.Run(progress: null, cancellationToken);
            if (crossValidate)
            {
                if (result.Info.Best?["value"] is not JsonValue best) throw new InvalidOperationException("the cross-validated search reported no score");
                return JsonNumber.ToDouble(best);
            }
            if (result.Validation is null || !result.Validation.TryGet(_settings.Metric, out var value))
                throw new InvalidOperationException($"the validation metrics have no {_settings.Metric}");
            return value;
        }
        finally
        {
            _callback.End();
            try
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A scratch folder that cannot be removed now costs only disk; the trial's result stands.
            }
        }
    }

    /// <summary>
    /// The experiment's one callback, pointed at the running trial's reporter: intermediate values in, "stop" out. A
    /// linear search reports one score per fold; the running mean is reported so the pruner compares like with like.
    /// </summary>
    private sealed class TrialCallback : ITrainerCallback
    {
        private TrialReporter? _reporter;
        private string _metric = "";
        private bool _crossValidate;
        private double _sum;
        private int _count;

        public void Begin(TrialReporter reporter, string metric, bool crossValidate)
        {
            _reporter = reporter;
            _metric = metric;
            _crossValidate = crossValidate;
            _sum = 0;
            _count = 0;
        }

        public void End() => _reporter = null;

        public void OnEvaluate(TrainerEvaluation evaluation, TrainerControl control)
        {
            if (_reporter is not { } reporter) return;
            if (!evaluation.Metrics.TryGetValue(_metric, out var value) && !evaluation.Metrics.TryGetValue($"eval_{_metric}", out value)) return;
            long step = evaluation.Step;
            if (_crossValidate)
            {
                _sum += value;
                step = ++_count;
                value = _sum / _count;
            }
            if (reporter.Report(step, value)) control.Stop($"pruned at step {step} ({_metric} {value.ToString("0.####", CultureInfo.InvariantCulture)})");
        }
    }

    /// <summary>
    /// The experiment's messages: all of them while the data is loaded and split; afterwards (space checks and trials,
    /// which repeat the same steps many times) only warnings, each once — a trial's routine lines (calibration fitted,
    /// thresholds tuned …) would drown the progress display.
    /// </summary>
    private sealed class TrialLogFilter(Action<string>? log)
    {
        private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

        public bool Quiet { get; set; }

        public void Write(string message)
        {
            if (log is null) return;
            if (!Quiet) log(message);
            else if (message.StartsWith("warning:", StringComparison.Ordinal) && _warned.Add(message)) log(message);
        }
    }

    /// <summary>The ledger of scratch trial runs: records nothing (the study storage and the tuning run hold the trials).</summary>
    private sealed class DiscardingLedger : ILedger
    {
        public string Path => "(none: tuning trial)";
        public void RecordRun(RunRecord run) { }
        public void RecordTrials(string runId, IEnumerable<TrialRecord> trials) { }
        public void RecordPerClass(string runId, IEnumerable<PerClassRecord> rows) { }
        public IReadOnlyList<LedgerTable> ReadTables() => [];
        public LedgerTable ReadRuns() => new("runs", [], []);
        public void SetStatus(string runId, string status, DateTime? finishedUtc = null) { }
        public void Dispose() { }
    }
}
