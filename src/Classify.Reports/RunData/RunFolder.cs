using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Core.Uncertainty;

namespace Classify.Reports.RunData;

/// <summary>
/// Everything the reports read from one run folder: run.json, metrics and predictions per split, and the
/// training log. Files that a run does not have (a linear run has no log.jsonl; a run may lack a val split)
/// are simply absent here; malformed files throw <see cref="InputException"/>.
/// </summary>
internal sealed class RunFolder
{
    /// <summary>Evaluation splits in display order.</summary>
    public static readonly IReadOnlyList<string> EvaluationSplits = ["val", "test"];

    private RunFolder(RunLayout layout) => Layout = layout;

    /// <summary>The folder layout.</summary>
    public RunLayout Layout { get; }
    /// <summary>run.json, or null when the folder has none.</summary>
    public RunInfo? Info { get; private init; }
    /// <summary>Metrics per split present on disk (val, test).</summary>
    public IReadOnlyDictionary<string, SplitMetrics> Metrics { get; private init; } = new Dictionary<string, SplitMetrics>();
    /// <summary>Predictions per split present on disk.</summary>
    public IReadOnlyDictionary<string, PredictionTable> Predictions { get; private init; } = new Dictionary<string, PredictionTable>();
    /// <summary>metrics/rejection_&lt;split&gt;.csv per split present on disk, read along with the predictions (runs before rejection curves have none).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RejectionCurveSet>> Rejection { get; private init; } = new Dictionary<string, IReadOnlyList<RejectionCurveSet>>();
    /// <summary>log.jsonl, or null (linear runs have none).</summary>
    public TrainingLog? Log { get; private init; }

    /// <summary>Run name: run.json's name, else the folder name.</summary>
    public string Name => Info?.Name ?? Path.GetFileName(Layout.Root);
    /// <summary>Task name from run.json or the metrics.</summary>
    public string Task => Info?.Task ?? Metrics.Values.FirstOrDefault()?.Task ?? (Predictions.Values.FirstOrDefault()?.IsMultilabel == true ? "multilabel" : "multiclass");
    /// <summary>True for multi-label runs.</summary>
    public bool IsMultilabel => Task == "multilabel";
    /// <summary>Label names in schema order.</summary>
    public IReadOnlyList<string> Labels =>
        Info?.Labels ?? Metrics.Values.FirstOrDefault()?.Labels ?? Predictions.Values.FirstOrDefault()?.Labels ?? [];
    /// <summary>Evaluation splits that have metrics or predictions, in display order.</summary>
    public IReadOnlyList<string> Splits => EvaluationSplits.Where(s => Metrics.ContainsKey(s) || Predictions.ContainsKey(s)).ToList();

    /// <summary>
    /// Per split, examples per label: run.json's class_counts, else gold counts from the predictions (val/test only).
    /// </summary>
    public IReadOnlyList<SplitClassCounts> ClassCounts()
    {
        var result = new List<SplitClassCounts>();
        if (Info?.ClassCounts is { Count: > 0 } counts)
        {
            var order = counts.Keys.OrderBy(k => k switch { "train" => 0, "val" => 1, "test" => 2, _ => 3 }).ThenBy(k => k, StringComparer.Ordinal);
            foreach (var split in order)
            {
                var c = counts[split];
                // Multi-label counts sum to more than the split size, so prefer the recorded size.
                int examples = Info.SplitSizes != null && Info.SplitSizes.TryGetValue(split, out var size) ? size
                    : Predictions.TryGetValue(split, out var p) ? p.Count : c.Values.Sum();
                result.Add(new SplitClassCounts(split, c, examples));
            }
            return result;
        }
        foreach (var (split, table) in Predictions)
        {
            var c = new Dictionary<string, int>(StringComparer.Ordinal);
            var gold = table.GoldCounts();
            for (int k = 0; k < table.LabelCount; k++) c[table.Labels[k]] = gold[k];
            result.Add(new SplitClassCounts(split, c, table.Count));
        }
        return result;
    }

    /// <summary>metrics/rejection_&lt;split&gt;.csv of the run.</summary>
    /// <summary>The model package's manifest (model/classify.json), or null when the run saved no model.</summary>
    /// <exception cref="InputException">The manifest is malformed.</exception>
    public Core.Prediction.ModelManifest? LoadManifest() =>
        File.Exists(Path.Combine(Layout.ModelDirectory, Core.Prediction.ModelManifest.FileName)) ? Core.Prediction.ModelManifest.Load(Layout.ModelDirectory) : null;

    public static string RejectionPath(RunLayout layout, string split) => Path.Combine(layout.MetricsDirectory, RejectionCsv.FileName(split));

    /// <summary>Reads a run folder. Throws <see cref="InputException"/> when it is not a run folder or a file is malformed.</summary>
    public static RunFolder Load(string runDirectory, bool withPredictions = true)
    {
        var layout = new RunLayout(runDirectory);
        if (!Directory.Exists(layout.Root)) throw new InputException("run folder not found", layout.Root);
        var info = File.Exists(layout.RunJson) ? RunInfo.Load(layout) : null;
        var metrics = new Dictionary<string, SplitMetrics>(StringComparer.Ordinal);
        foreach (var split in EvaluationSplits)
            if (File.Exists(layout.Metrics(split))) metrics[split] = SplitMetrics.Load(layout.Metrics(split));
        if (info == null && metrics.Count == 0)
            throw new InputException("neither run.json nor metrics/*.json: not a Classify run folder", layout.Root);

        bool multilabel = (info?.Task ?? metrics.Values.FirstOrDefault()?.Task) == "multilabel";
        var labels = info?.Labels ?? metrics.Values.FirstOrDefault()?.Labels;
        var predictions = new Dictionary<string, PredictionTable>(StringComparer.Ordinal);
        if (withPredictions)
            foreach (var split in EvaluationSplits)
                if (File.Exists(layout.Predictions(split))) predictions[split] = PredictionTable.Load(layout.Predictions(split), split, multilabel, labels);

        var rejection = new Dictionary<string, IReadOnlyList<RejectionCurveSet>>(StringComparer.Ordinal);
        foreach (var split in EvaluationSplits)   // small (rankers × 10 points): the card and summary state them too
                if (File.Exists(RejectionPath(layout, split))) rejection[split] = RejectionCsv.Read(RejectionPath(layout, split));

        return new RunFolder(layout)
        {
            Rejection = rejection,
            Info = info,
            Metrics = metrics,
            Predictions = predictions,
            Log = File.Exists(layout.LogJsonl) ? TrainingLog.Load(layout.LogJsonl) : null,
        };
    }
}

/// <summary>Examples per label in one split, and the number of examples in the split.</summary>
internal sealed record SplitClassCounts(string Split, IReadOnlyDictionary<string, int> Counts, int Examples);
