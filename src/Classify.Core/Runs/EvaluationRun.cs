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
    /// the <paramref name="artifacts"/> writers (report, model card, summary).
    /// </summary>
    public static SplitEvaluation Execute(TextClassifier classifier, string modelDirectory, string dataPath, DatasetOptions options,
        RunLayout layout, string split = "test", int batchSize = 64, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default,
        IReadOnlyList<IRunArtifactWriter>? artifacts = null, Action<string>? log = null, Func<RunLayout, ILedger>? openLedger = null)
    {
        var clock = Stopwatch.StartNew();
        var created = DateTime.UtcNow;
        var schema = classifier.Schema;
        var dataset = DatasetLoader.Load(dataPath, options with { Labels = schema.Labels, Multilabel = schema.IsMultilabel }, cancellationToken);
        if (dataset.Count == 0) throw new InputException("no examples to evaluate", dataPath);

        var inputs = dataset.Examples.Select(e => new TextInput(e.Text, e.Context)).ToArray();
        var scores = classifier.PredictScores(inputs, batchSize, ForwardMode.Deterministic, progress, cancellationToken);
        var probabilities = LinkFunction.Apply(scores, classifier.Predictor.Link, classifier.Manifest.Temperature);
        var evaluation = Evaluator.Score(split, schema, dataset.Examples, probabilities, classifier.Manifest.Thresholds);
        var report = evaluation.Report;

        Directory.CreateDirectory(layout.Root);
        Evaluator.Write(layout, schema, dataset.Examples, evaluation);
        var stats = dataset.Stats;
        var info = new RunInfo
        {
            Name = Path.GetFileName(layout.Root), RunId = $"{Path.GetFileName(layout.Root)}-{created:yyyyMMddTHHmmssfff}", Status = "completed",
            CreatedUtc = created, FinishedUtc = DateTime.UtcNow, Task = schema.Kind.ToName(), Labels = schema.Labels, Engine = classifier.Manifest.Engine,
            Config = new JsonObject { ["evaluate"] = new JsonObject { ["model"] = Path.GetFullPath(modelDirectory), ["data"] = dataPath, ["split"] = split } },
            Data = RunDataInfo.From(stats),
            SplitSizes = new Dictionary<string, int> { [split] = dataset.Count },
            ClassCounts = new Dictionary<string, IReadOnlyDictionary<string, int>> { [split] = dataset.LabelCounts() },
            Versions = RunInfo.CurrentVersions(),
            Timings = new Dictionary<string, double> { ["total_seconds"] = clock.Elapsed.TotalSeconds, ["eval_seconds"] = clock.Elapsed.TotalSeconds },
        };
        info.Save(layout);
        using (var ledger = openLedger?.Invoke(layout) ?? Ledger.Open(layout.LedgerDatabase))
        {
            ledger.RecordRun(Experiment.ToRecord(info, layout, split == "val" ? report : null, split == "val" ? null : report));
            ledger.RecordPerClass(info.RunId, PerClassRecord.From(split, report));
        }
        foreach (var writer in artifacts ?? []) writer.Write(layout, log, cancellationToken);
        return evaluation;
    }
}
