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
    public string LedgerDatabase => Path.Combine(Path.GetDirectoryName(Root)!, LedgerFileName);
    /// <summary>run.lock: held (pid, process start time) by the process writing the run folder (see <see cref="RunLock"/>).</summary>
    public string LockFile => Path.Combine(Root, "run.lock");
    /// <summary>The run folder's name (the run name).</summary>
    public string Name => Path.GetFileName(Root);

    /// <summary>The ledger's file name in a runs folder.</summary>
    public const string LedgerFileName = "ledger.db";

    /// <summary>The longest run name, in characters.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The longest run name in bytes of UTF-8 (file systems limit a name to 255 bytes).</summary>
    public const int MaxNameBytes = 200;

    private static readonly string[] ReservedNames = [LedgerFileName, LedgerFileName + "-wal", LedgerFileName + "-shm", LedgerFileName + "-journal"];

    /// <summary>
    /// Why <paramref name="name"/> cannot name a run folder, or null when it can. A run name is at most
    /// <see cref="MaxNameLength"/> characters (and <see cref="MaxNameBytes"/> bytes of UTF-8), holds no path separator or
    /// control character, does not start with '.' (so not <c>.</c> or <c>..</c>; hidden names are Classify's temporary
    /// files), is not the ledger's file names (<c>ledger.db</c>, <c>-wal</c>, <c>-shm</c>, <c>-journal</c>) nor a name
    /// Windows reserves (<c>CON</c>, <c>NUL</c>, <c>COM1</c> …), and does not end with a space or a dot.
    /// </summary>
    public static string? NameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "a run name cannot be empty";
        if (name.Length > MaxNameLength) return $"a run name is at most {MaxNameLength} characters; this one has {name.Length}";
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
            return $"a run name is at most {MaxNameBytes} bytes of UTF-8; this one has {System.Text.Encoding.UTF8.GetByteCount(name)}";
        if (name.IndexOfAny(['/', '\\']) >= 0) return $"'{name}' contains a path separator; a run name is one folder name";
        if (name.Any(char.IsControl) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.IndexOfAny([':', '*', '?', '"', '<', '>', '|']) >= 0)
            return $"'{Printable(name)}' contains a character that cannot be in a folder name";
        if (name.StartsWith('.')) return $"'{name}' starts with '.': names starting with a dot are reserved (hidden and temporary files)";
        if (ReservedNames.Contains(name, StringComparer.OrdinalIgnoreCase)) return $"'{name}' is the ledger's file name in the runs folder";
        if (name.EndsWith(' ') || name.EndsWith('.')) return $"'{name}' ends with a space or a dot, which some file systems drop";
        var stem = name.Split('.')[0].TrimEnd();
        if (stem.Length is 3 or 4 && (stem.ToUpperInvariant() is "CON" or "PRN" or "AUX" or "NUL"
                                      || (stem.Length == 4 && stem[..3].ToUpperInvariant() is "COM" or "LPT" && stem[3] is >= '1' and <= '9')))
            return $"'{name}' is a device name on Windows";
        return null;
    }

    private static string Printable(string s) => string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
