namespace Classify.Core.Runs;

/// <summary>
/// The paths inside a run folder (see docs/file-formats.md). One place knows the layout, so every writer and
/// reader (CLI, reports, tuning) agrees on it.
/// </summary>
public sealed class RunLayout
{
    /// <summary>Wraps a run folder path (it need not exist yet).</summary>
    public RunLayout(string root) => Root = Path.GetFullPath(root);

    /// <summary>The run folder.</summary>
    public string Root { get; }
    /// <summary>run.json: resolved config, data hashes, label schema, seed, versions, timings, status.</summary>
    public string RunJson => Path.Combine(Root, "run.json");
    /// <summary>splits/: train_ids.csv, val_ids.csv, test_ids.csv.</summary>
    public string SplitsDirectory => Path.Combine(Root, "splits");
    /// <summary>model/: the best model package.</summary>
    public string ModelDirectory => Path.Combine(Root, "model");
    /// <summary>checkpoints/: transformer checkpoints for resume.</summary>
    public string CheckpointsDirectory => Path.Combine(Root, "checkpoints");
    /// <summary>metrics/: val.json and test.json.</summary>
    public string MetricsDirectory => Path.Combine(Root, "metrics");
    /// <summary>predictions/: val.csv and test.csv.</summary>
    public string PredictionsDirectory => Path.Combine(Root, "predictions");
    /// <summary>plots/: PNG and SVG charts.</summary>
    public string PlotsDirectory => Path.Combine(Root, "plots");
    /// <summary>report.html: the self-contained report.</summary>
    public string ReportHtml => Path.Combine(Root, "report.html");
    /// <summary>log.jsonl: training dynamics, one JSON object per logged step or evaluation.</summary>
    public string LogJsonl => Path.Combine(Root, "log.jsonl");
    /// <summary>search/grid.csv: every configuration of a hyperparameter search with fold means and stds.</summary>
    public string SearchTableCsv => Path.Combine(Root, "search", "grid.csv");
    /// <summary>summary_report.txt: headline figures and the optional target check.</summary>
    public string SummaryReport => Path.Combine(Root, "summary_report.txt");

    /// <summary>Path of the ids file for a split name (train, val, test).</summary>
    public string SplitIds(string split) => Path.Combine(SplitsDirectory, $"{split}_ids.csv");
    /// <summary>Path of the metrics file for a split name.</summary>
    public string Metrics(string split) => Path.Combine(MetricsDirectory, $"{split}.json");
    /// <summary>Path of the predictions file for a split name.</summary>
    public string Predictions(string split) => Path.Combine(PredictionsDirectory, $"{split}.csv");
    /// <summary>The ledger database shared by all runs under the parent folder (runs/ledger.db).</summary>
    public string LedgerDatabase => Path.Combine(Path.GetDirectoryName(Root)!, "ledger.db");
}
