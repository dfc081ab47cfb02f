using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Runs;
using Classify.Tuning.Space;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>What a tuning session did.</summary>
/// <param name="Layout">The tuning run folder.</param>
/// <param name="Outcome">Why this worker stopped, how many trials it ran, how long it took.</param>
/// <param name="Snapshot">The study after this worker stopped.</param>
/// <param name="BestRun">The best configuration retrained as a normal run, or null (see <see cref="BestRunNote"/>).</param>
/// <param name="BestRunNote">Why there is no best run this time, or null.</param>
public sealed record TuningResult(TuningLayout Layout, StudyRunOutcome Outcome, TuningSnapshot Snapshot, ExperimentResult? BestRun, string? BestRunNote);

/// <summary>
/// One worker's <c>classify tune</c>, as a library call: validate everything, run the study, write the tuning run folder,
/// record the trials in the ledger and retrain the best configuration.
/// <list type="number">
/// <item>Read the <c>tune:</c> section and the space; load and split the data once; check every value of the space
/// against the engine; create the sampler and pruner. Bad input fails here, before anything is written.</item>
/// <item>Open the storage and create or load the study (same definition: the study continues).</item>
/// <item>Optimise (<see cref="StudyDriver"/>) until the study is done, the sampler is exhausted, the timeout passes or
/// the session is cancelled.</item>
/// <item>Write <c>tuning/</c> (<see cref="TuningOutputs"/>) and the extra writers' outputs (<see cref="Artifacts"/>:
/// charts), and record the study as a row of the ledger's runs table with its trials in the trials table.</item>
/// <item>When no trial of the study is left running or waiting (this is the last worker) and the session was not
/// cancelled, retrain the best complete trial's configuration in <c>best/</c> as a normal run (validation and test
/// metrics, report via <see cref="BestRunArtifacts"/>).</item>
/// </list>
/// </summary>
public sealed class TuningSession
{
    private readonly ExperimentConfig _config;
    // The config as recorded in run.json and the ledger: a password in tune.storage is replaced by ***.
    private readonly ExperimentConfig _recorded;
    private readonly TuneSettings _settings;

    /// <summary>A session for <paramref name="config"/>, whose <c>tune:</c> section is read (and checked) here.</summary>
    /// <exception cref="InputException">No or a bad <c>tune:</c> section.</exception>
    public TuningSession(ExperimentConfig config)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _settings = TuneSettings.Read(config);
        _recorded = _settings.Storage is { } url && StudyComponents.WithoutSecrets(url) is var shown && shown != url
            ? config.With([$"{ExperimentConfig.TuneSection}.storage={ParameterValues.ToJson(shown)}"])
            : config;
    }

    /// <summary>The <c>tune:</c> section as read.</summary>
    public TuneSettings Settings => _settings;

    /// <summary>The tuning run folder, <c>&lt;runs_dir&gt;/&lt;study&gt;</c>.</summary>
    public TuningLayout Layout => new(Path.Combine(_config.RunsDirectory, _settings.Study));

    /// <summary>One-line status messages.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Told when a trial starts.</summary>
    public Action<TrialProgress>? TrialStarted { get; init; }

    /// <summary>Told when a trial ends.</summary>
    public Action<TrialProgress>? TrialFinished { get; init; }

    /// <summary>Told when the study is open and trials are about to run (the storage's description, the trials already in it).</summary>
    public Action<string, IReadOnlyList<StudyTrial>>? StudyOpened { get; init; }

    /// <summary>Writers of the tuning run folder besides the tables (the CLI adds the charts of Classify.Reports).</summary>
    public IReadOnlyList<ITuningArtifactWriter> Artifacts { get; init; } = [];

    /// <summary>Written after the best run completed (report, model card …), as for <c>classify train</c>.</summary>
    public IReadOnlyList<IRunArtifactWriter> BestRunArtifacts { get; init; } = [];

    /// <summary>Opens the ledger database at a path (default: the SQLite <see cref="Ledger"/>).</summary>
    public Func<string, ILedger> OpenLedger { get; init; } = Ledger.Open;

    /// <summary>The worker id (default: host, process id and a random suffix).</summary>
    public string Worker { get; init; } = StudyDriver.NewWorkerId();

    /// <summary>Runs the session (see <see cref="TuningSession"/>).</summary>
    /// <exception cref="InputException">Bad input, found before anything is written.</exception>
    public TuningResult Run(CancellationToken cancellationToken = default)
    {
        var layout = Layout;
        var objective = ExperimentObjective.Prepare(_config, _settings, layout.TrialRunsDirectory, Log, cancellationToken);
        objective.CheckSpace(_settings.Space);
        var sampler = StudyComponents.CreateSampler(_settings.Sampler);
        var pruner = StudyComponents.CreatePruner(_settings.Pruner);
        var definition = _settings.Definition(_config);

        using var storage = StudyComponents.OpenStorage(_settings.Storage, Path.Combine(_config.RunsDirectory, "ledger.db"));   // the runs ledger holds the studies
        var study = storage.CreateOrLoadStudy(definition);
        StudyOpened?.Invoke(storage.Description, storage.GetTrials(study.Id));
        RemoveAbandonedTrialFolders(layout);
        if (RunRecovery.Recover(new RunLayout(layout.BestRunDirectory), _ => OpenLedger(LedgerPath), Log) is not null)
            Log?.Invoke($"recovered an interrupted best run in {layout.BestRunDirectory}");

        var driver = new StudyDriver(storage, study, _settings, sampler, pruner, Worker)
        {
            Log = Log, TrialStarted = TrialStarted, TrialFinished = TrialFinished,
        };
        var outcome = driver.Optimize(objective, cancellationToken);
        RemoveIfEmpty(layout.TrialRunsDirectory);

        var trials = storage.GetTrials(study.Id);
        var best = StudyDriver.BestTrial(trials, definition.Direction);
        var importances = ParameterImportance.Compute(_settings.Space, trials, unchecked((ulong)_settings.Sampler.Seed));
        var snapshot = new TuningSnapshot(_settings, study, trials, best, importances, []);
        snapshot = snapshot with { Comparison = TuningOutputs.Compare(_config.RunsDirectory, snapshot) };
        // Outputs are written even when cancelled: they describe the trials that finished, and the study continues later.
        foreach (var writer in new ITuningArtifactWriter[] { new TuningOutputs() }.Concat(Artifacts))
            writer.Write(layout, snapshot, Log, CancellationToken.None);

        // The trials are in the ledger before the best run starts, so a failed or cancelled retraining loses none of them.
        RecordInLedger(layout, snapshot, objective, outcome, bestRun: null);
        ExperimentResult? bestRun = null;
        string? note = BestRunObstacle(outcome, snapshot, layout);
        if (note is null)
        {
            try
            {
                bestRun = RetrainBest(objective, best!, layout, cancellationToken);
                RecordInLedger(layout, snapshot, objective, outcome, bestRun);
            }
            catch (InputException) when (RunLock.Inspect(new RunLayout(layout.BestRunDirectory), out _) == RunLockState.Live)
            {
                // Workers that finish together race for best/: the one holding its lock retrains it.
                note = RetrainedElsewhere;
            }
        }
        return new TuningResult(layout, outcome, snapshot, bestRun, note);
    }

    private const string RetrainedElsewhere = "another worker on this machine is retraining the best configuration in best/";

    private string LedgerPath => Path.Combine(_config.RunsDirectory, RunLayout.LedgerFileName);

    // Why the best configuration is not retrained now, or null when it is.
    private string? BestRunObstacle(StudyRunOutcome outcome, TuningSnapshot snapshot, TuningLayout layout)
    {
        if (!_settings.RetrainBest) return "retrain_best: false";
        if (outcome.Reason == StudyStopReason.Interrupted) return "the session was cancelled";
        if (snapshot.Best is null) return "no trial completed";
        if (snapshot.Trials.Any(t => t.State is TrialState.Running or TrialState.Waiting))
            return "other workers still have trials running or waiting; the last worker to finish retrains the best";
        var bestLayout = new RunLayout(layout.BestRunDirectory);
        if (RunLock.Inspect(bestLayout, out _) == RunLockState.Live) return RetrainedElsewhere;
        if (File.Exists(bestLayout.RunJson))
        {
            try
            {
                var info = RunInfo.Load(bestLayout);
                var wanted = BestConfig(snapshot.Best, layout);
                if (info.Status == RunStatus.Completed && System.Text.Json.Nodes.JsonNode.DeepEquals(info.Config, wanted.Resolved))
                    return $"best/ already holds trial {snapshot.Best.Number}'s configuration";
            }
            catch (InputException)
            {
                // An unreadable best/run.json is replaced by the retrained run.
            }
        }
        return null;
    }

    // The best trial's parameters over the base config, named best/ inside the tuning run folder.
    private ExperimentConfig BestConfig(StudyTrial best, TuningLayout layout)
    {
        var overrides = ExperimentObjective.Overrides(best.Parameters).ToList();
        overrides.Add($"name={ParameterValues.ToJson(TuningLayout.BestRunName)}");
        overrides.Add($"runs_dir={ParameterValues.ToJson(layout.Root)}");
        return _recorded.With(overrides);
    }

    private ExperimentResult RetrainBest(ExperimentObjective objective, StudyTrial best, TuningLayout layout, CancellationToken ct)
    {
        Log?.Invoke($"retraining trial {best.Number} (value {best.Value:0.####}) as a normal run in {layout.BestRunDirectory}");
        var config = BestConfig(best, layout);
        var runLayout = new RunLayout(layout.BestRunDirectory);
        // The trials' split, saved first: an overwritten run keeps splits/, so best/ is evaluated on exactly that split.
        objective.Prepared.Split.ToIds().Save(runLayout.SplitsDirectory);
        var experiment = new Experiment(config)
        {
            Log = Log, Artifacts = BestRunArtifacts, OpenLedger = _ => OpenLedger(LedgerPath), ExistingRun = ExistingRunPolicy.Overwrite,
        };
        return experiment.Run(progress: null, ct);
    }

    /// <summary>
    /// Scratch folders of trials whose process is gone (killed mid-trial) are deleted; a folder a live process holds
    /// (another worker on this machine) is left alone.
    /// </summary>
    private void RemoveAbandonedTrialFolders(TuningLayout layout)
    {
        if (!Directory.Exists(layout.TrialRunsDirectory)) return;
        foreach (var folder in Directory.EnumerateDirectories(layout.TrialRunsDirectory))
        {
            if (RunLock.Inspect(new RunLayout(folder), out _) == RunLockState.Live) continue;
            try { Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log?.Invoke($"warning: could not remove {folder}: {e.Message}"); }
        }
    }

    // The scratch folder goes once no trial uses it (another worker's trial keeps it).
    private static void RemoveIfEmpty(string directory)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
        }
        catch (IOException)
        {
            // Another worker created a trial folder meanwhile: it is in use.
        }
    }

    /// <summary>
    /// The study as a row of the ledger's runs table (run id <c>&lt;study&gt;-study</c>, one row however many sessions) with
    /// one row per trial in the trials table, so <c>classify runs export</c> carries them; the row's metrics are the
    /// best run's when it was retrained.
    /// </summary>
    private void RecordInLedger(TuningLayout layout, TuningSnapshot snapshot, ExperimentObjective objective, StudyRunOutcome outcome, ExperimentResult? bestRun)
    {
        var prepared = objective.Prepared;
        var sizes = prepared.Summary.Sizes();
        var record = new RunRecord
        {
            RunId = StudyRunId(_settings.Study), Name = _settings.Study, CreatedUtc = snapshot.Study.CreatedUtc, FinishedUtc = DateTime.UtcNow,
            Status = outcome.Reason == StudyStopReason.Interrupted ? RunStatus.Cancelled : RunStatus.Completed,
            Engine = _config.Engine, Task = prepared.Schema.Kind.ToName(), DataPath = prepared.Dataset.Stats.Path, DataSha256 = prepared.Dataset.Stats.Sha256,
            Seed = _config.Seed, NTrain = sizes.GetValueOrDefault("train"), NVal = sizes.GetValueOrDefault("val"), NTest = sizes.GetValueOrDefault("test"),
            Metrics = bestRun is null ? new Dictionary<string, double?>() : Experiment.ToRecord(bestRun.Info, bestRun.Layout, bestRun.Validation, bestRun.Test).Metrics,
            TotalSeconds = TuningOutputs.ComparisonRow(snapshot).TrialSeconds, RunDirectory = layout.Root,
            ConfigJson = _recorded.Resolved.ToJsonString(),
        };
        using var ledger = OpenLedger(LedgerPath);
        ledger.RecordRun(record);
        ledger.RecordTrials(record.RunId, snapshot.Trials.Select(t => new TrialRecord(t.Number, ParameterValues.ToJson(t.Parameters), t.Value, null,
            TuningOutputs.Seconds(t), t.State.ToString().ToLowerInvariant())));
    }

    /// <summary>The ledger run id of a study: one row for the study, whatever the number of sessions and workers.</summary>
    public static string StudyRunId(string study) => $"{study}-study";
}
