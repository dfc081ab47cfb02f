using System.Diagnostics;
using System.Text.Json.Nodes;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Training;

namespace Classify.Core.Runs;

/// <summary>
/// Evaluates a trained model on a labelled data file and records it as a run folder (run.json, metrics,
/// predictions, ledger row), exactly like the evaluation part of an <see cref="Experiment"/>.
/// </summary>
public static class EvaluationRun
{
    /// <summary>
    /// Loads <paramref name="dataPath"/> with the model's labels (unknown labels are errors), predicts every example,
    /// writes metrics/&lt;split&gt;.json, predictions/&lt;split&gt;.csv and run.json into <paramref name="layout"/>, records
    /// the run in the ledger (<paramref name="openLedger"/>, default the SQLite ledger beside the run folder), then calls
    /// the <paramref name="artifacts"/> writers (report, model card, summary). The folder is locked while it is written
    /// and an existing run in it is handled as <paramref name="existingRun"/> says (<see cref="ExistingRuns"/>); both are
    /// checked before the data is read. With <paramref name="uncertainty"/> (the package's <c>uncertainty</c> defaults or
    /// flags), or for an ensemble (<see cref="IEnsemblePredictor"/>), the predictions gain the uncertainty columns, from
    /// Monte-Carlo dropout passes seeded by <paramref name="seed"/> when it samples or from the ensemble's members;
    /// metrics/rejection_&lt;split&gt;.csv is written either way. A package with an abstain rule (applied unless
    /// <see cref="TextClassifier.ApplyAbstention"/> is off) adds the <c>abstained</c> column and the metrics' <c>abstention</c> object.
    /// </summary>
    /// <exception cref="InputException">Bad data, or the run folder is taken (see <see cref="ExistingRuns.Check"/>).</exception>
    public static SplitEvaluation Execute(TextClassifier classifier, string modelDirectory, string dataPath, DatasetOptions options,
        RunLayout layout, string split = "test", int batchSize = 64, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default,
        IReadOnlyList<IRunArtifactWriter>? artifacts = null, Action<string>? log = null, Func<RunLayout, ILedger>? openLedger = null,
        ExistingRunPolicy existingRun = ExistingRunPolicy.Refuse, Uncertainty.UncertaintyOptions? uncertainty = null, ulong seed = 0)
    {
        var clock = Stopwatch.StartNew();
        var created = DateTime.UtcNow;
        var schema = classifier.Schema;
        if (RunLayout.NameProblem(layout.Name) is { } problem) throw new InputException(problem, layout.Root);
        ExistingRuns.Check(layout, existingRun);
        var dataset = DatasetLoader.Load(dataPath, classifier.ReadingOptions(options) with { Labels = schema.Labels, Multilabel = schema.IsMultilabel }, cancellationToken);
        if (dataset.Count == 0) throw new InputException("no examples to evaluate", dataPath);

        var inputs = dataset.Examples.Select(e => new TextInput(e.Text, e.Context)).ToArray();
        var scores = classifier.PredictScores(inputs, batchSize, ForwardMode.Deterministic, progress, cancellationToken);
        var probabilities = LinkFunction.Apply(scores, classifier.Predictor.Link, classifier.Manifest);
        var evaluation = Evaluator.Score(split, schema, dataset.Examples, probabilities, classifier.Manifest.Thresholds, abstain: classifier.ActiveAbstainRule);
        if (uncertainty is not null || classifier.Predictor.EnsembleMembers() > 0)   // an ensemble's members always give uncertainty
            evaluation = evaluation with { Uncertainty = classifier.PredictUncertainty(inputs, probabilities, uncertainty, seed, cancellationToken) };
        var report = evaluation.Report;

        var runId = $"{layout.Name}-{created:yyyyMMddTHHmmssfff}";
        using var runLock = RunLock.Acquire(layout, "eval", runId);
        using var ledger = openLedger?.Invoke(layout) ?? Ledger.Open(layout.LedgerDatabase);
        ExistingRuns.Claim(runLock, existingRun, ledger, log);
        var stats = dataset.Stats;
        var info = new RunInfo
        {
            Name = layout.Name, RunId = runId, Status = RunStatus.Running,
            CreatedUtc = created, Task = schema.Kind.ToName(), Labels = schema.Labels, Engine = classifier.Manifest.Engine,
            Config = new JsonObject { ["evaluate"] = new JsonObject { ["model"] = Path.GetFullPath(modelDirectory), ["data"] = dataPath, ["split"] = split } },
            Data = RunDataInfo.From(stats),
            SplitSizes = new Dictionary<string, int> { [split] = dataset.Count },
            ClassCounts = new Dictionary<string, IReadOnlyDictionary<string, int>> { [split] = dataset.LabelCounts() },
            Versions = RunInfo.CurrentVersions(),
        };
        info.Save(layout);
        ledger.RecordRun(Experiment.ToRecord(info, layout, null, null));
        try
        {
            Evaluator.Write(layout, schema, dataset.Examples, evaluation, seed: seed);
        }
        catch (Exception e)
        {
            var failed = info with { Status = e is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed, Error = e.Message, FinishedUtc = DateTime.UtcNow };
            failed.Save(layout);
            ledger.RecordRun(Experiment.ToRecord(failed, layout, null, null));
            throw;
        }
        var done = info with
        {
            Status = RunStatus.Completed, FinishedUtc = DateTime.UtcNow,
            Timings = new Dictionary<string, double> { ["total_seconds"] = clock.Elapsed.TotalSeconds, ["eval_seconds"] = clock.Elapsed.TotalSeconds },
        };
        done.Save(layout);
        ledger.RecordRun(Experiment.ToRecord(done, layout, split == "val" ? report : null, split == "val" ? null : report));
        ledger.RecordPerClass(done.RunId, PerClassRecord.From(split, report));
        Experiment.PreparedExperiment.WriteArtifacts(artifacts ?? [], layout, log, cancellationToken);
        return evaluation;
    }
}
