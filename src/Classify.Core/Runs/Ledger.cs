using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Classify.Core.Runs;

/// <summary>One row of the ledger's <c>runs</c> table: the headline facts of a run.</summary>
public sealed record RunRecord
{
    /// <summary>Unique run id (the run folder name plus a timestamp).</summary>
    public required string RunId { get; init; }
    /// <summary>Run name given by the user.</summary>
    public required string Name { get; init; }
    /// <summary>When the run started (UTC).</summary>
    public DateTime CreatedUtc { get; init; }
    /// <summary>When the run ended (UTC), if it did.</summary>
    public DateTime? FinishedUtc { get; init; }
    /// <summary>running, completed, failed, cancelled, interrupted or overwritten (see <see cref="RunStatus"/>).</summary>
    public string Status { get; init; } = RunStatus.Running;
    /// <summary>Engine name (linear, transformer).</summary>
    public string? Engine { get; init; }
    /// <summary>Task kind name.</summary>
    public string? Task { get; init; }
    /// <summary>Path of the data file.</summary>
    public string? DataPath { get; init; }
    /// <summary>SHA-256 of the data file.</summary>
    public string? DataSha256 { get; init; }
    /// <summary>The run's seed.</summary>
    public long? Seed { get; init; }
    /// <summary>Split sizes.</summary>
    public long? NTrain { get; init; }
    /// <summary>Validation split size.</summary>
    public long? NVal { get; init; }
    /// <summary>Test split size.</summary>
    public long? NTest { get; init; }
    /// <summary>Headline metrics by ledger column name (val_accuracy, test_macro_f1, …).</summary>
    public IReadOnlyDictionary<string, double?> Metrics { get; init; } = new Dictionary<string, double?>();
    /// <summary>Training time in seconds.</summary>
    public double? TrainSeconds { get; init; }
    /// <summary>Whole-run time in seconds.</summary>
    public double? TotalSeconds { get; init; }
    /// <summary>Absolute run folder path.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Resolved configuration as JSON.</summary>
    public string? ConfigJson { get; init; }

    /// <summary>A record from a row of the runs table as <see cref="ILedger.ReadRuns"/> returns it.</summary>
    public static RunRecord FromRow(LedgerTable runs, object?[] row)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(row);
        var cells = new Dictionary<string, object?>();
        for (int i = 0; i < runs.Columns.Count; i++) cells[runs.Columns[i].Name] = row[i];
        string? Text(string c) => cells.GetValueOrDefault(c) as string;
        long? Int(string c) => cells.GetValueOrDefault(c) is long l ? l : null;
        double? Real(string c) => cells.GetValueOrDefault(c) switch { double d => d, long l => l, _ => null };
        return new RunRecord
        {
            RunId = Text("run_id") ?? "", Name = Text("name") ?? "", CreatedUtc = cells.GetValueOrDefault("created_utc") as DateTime? ?? default,
            FinishedUtc = cells.GetValueOrDefault("finished_utc") as DateTime?, Status = Text("status") ?? RunStatus.Running, Engine = Text("engine"),
            Task = Text("task"), DataPath = Text("data_path"), DataSha256 = Text("data_sha256"), Seed = Int("seed"), NTrain = Int("n_train"),
            NVal = Int("n_val"), NTest = Int("n_test"), Metrics = Classify.Core.Metrics.MetricKeys.LedgerColumns.Select(m => m.Column).ToDictionary(c => c, Real), TrainSeconds = Real("train_seconds"),
            TotalSeconds = Real("total_seconds"), RunDirectory = Text("run_dir"), ConfigJson = Text("config_json"),
        };
    }
}

/// <summary>One trial of a hyperparameter search (a grid point or a sampled configuration).</summary>
/// <param name="TrialNumber">0-based trial number within the run.</param>
/// <param name="ParamsJson">The trial's parameters as a JSON object.</param>
/// <param name="MeanScore">Mean cross-validation (or validation) score.</param>
/// <param name="StdScore">Standard deviation of the score over folds.</param>
/// <param name="FitSeconds">Mean fit time in seconds.</param>
/// <param name="State">complete, pruned or failed.</param>
public sealed record TrialRecord(int TrialNumber, string ParamsJson, double? MeanScore, double? StdScore, double? FitSeconds, string State = "complete");

/// <summary>Per-class metrics of one split, for the ledger's <c>per_class_metrics</c> table.</summary>
/// <param name="Split">val or test.</param>
/// <param name="Label">Label name.</param>
/// <param name="Precision">Precision.</param>
/// <param name="Recall">Recall.</param>
/// <param name="F1">F1.</param>
/// <param name="Support">Number of gold examples.</param>
/// <param name="RocAuc">ROC-AUC (null when undefined).</param>
/// <param name="PrAuc">Average precision (null when undefined).</param>
public sealed record PerClassRecord(string Split, string Label, double Precision, double Recall, double F1, long Support, double? RocAuc, double? PrAuc)
{
    /// <summary>The rows of one split's report (none when the report is null).</summary>
    public static IEnumerable<PerClassRecord> From(string split, Metrics.MetricReport? report) =>
        report is null ? [] : report.PerClass.Select(kv =>
            new PerClassRecord(split, kv.Key, kv.Value.Precision, kv.Value.Recall, kv.Value.F1, kv.Value.Support, kv.Value.RocAuc, kv.Value.PrAuc));
}

/// <summary>
/// The run ledger: a SQLite database (runs/ledger.db) with a row per run, per trial and per class. Several
/// processes may write to it at once (WAL journal, busy timeout), so nothing assumes one process owns it.
/// </summary>
public sealed class Ledger : ILedger
{
    private static readonly LedgerColumn[] RunColumns =
    [
        new("run_id", LedgerColumnType.Text), new("name", LedgerColumnType.Text),
        new("created_utc", LedgerColumnType.DateTime), new("finished_utc", LedgerColumnType.DateTime),
        new("status", LedgerColumnType.Text), new("engine", LedgerColumnType.Text), new("task", LedgerColumnType.Text),
        new("data_path", LedgerColumnType.Text), new("data_sha256", LedgerColumnType.Text), new("seed", LedgerColumnType.Integer),
        new("n_train", LedgerColumnType.Integer), new("n_val", LedgerColumnType.Integer), new("n_test", LedgerColumnType.Integer),
        .. Metrics.MetricKeys.LedgerColumns.Select(c => new LedgerColumn(c.Column, LedgerColumnType.Real)),
        new("train_seconds", LedgerColumnType.Real), new("total_seconds", LedgerColumnType.Real),
        new("run_dir", LedgerColumnType.Text), new("config_json", LedgerColumnType.Text),
    ];

    private static readonly LedgerColumn[] TrialColumns =
    [
        new("run_id", LedgerColumnType.Text), new("trial_number", LedgerColumnType.Integer), new("params_json", LedgerColumnType.Text),
        new("mean_score", LedgerColumnType.Real), new("std_score", LedgerColumnType.Real), new("fit_seconds", LedgerColumnType.Real),
        new("state", LedgerColumnType.Text),
    ];

    private static readonly LedgerColumn[] PerClassColumns =
    [
        new("run_id", LedgerColumnType.Text), new("split", LedgerColumnType.Text), new("label", LedgerColumnType.Text),
        new("precision", LedgerColumnType.Real), new("recall", LedgerColumnType.Real), new("f1", LedgerColumnType.Real),
        new("support", LedgerColumnType.Integer), new("roc_auc", LedgerColumnType.Real), new("pr_auc", LedgerColumnType.Real),
    ];

    private readonly SqliteConnection _connection;

    private Ledger(SqliteConnection connection) => _connection = connection;

    /// <summary>The database file.</summary>
    public string Path => _connection.DataSource;

    /// <summary>Opens (creating if needed) the ledger at <paramref name="path"/>.</summary>
    public static Ledger Open(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        var ledger = new Ledger(connection);
        ledger.Execute("PRAGMA busy_timeout = 30000;");
        ledger.Execute("PRAGMA journal_mode = WAL;");
        ledger.Execute(CreateTable("runs", RunColumns, "PRIMARY KEY (run_id)"));
        ledger.Execute(CreateTable("trials", TrialColumns, "PRIMARY KEY (run_id, trial_number)"));
        ledger.Execute(CreateTable("per_class_metrics", PerClassColumns, "PRIMARY KEY (run_id, split, label)"));
        return ledger;
    }

    /// <summary>Inserts or replaces a run row.</summary>
    public void RecordRun(RunRecord run)
    {
        var values = new Dictionary<string, object?>
        {
            ["run_id"] = run.RunId, ["name"] = run.Name, ["created_utc"] = Iso(run.CreatedUtc), ["finished_utc"] = Iso(run.FinishedUtc),
            ["status"] = run.Status, ["engine"] = run.Engine, ["task"] = run.Task, ["data_path"] = run.DataPath,
            ["data_sha256"] = run.DataSha256, ["seed"] = run.Seed, ["n_train"] = run.NTrain, ["n_val"] = run.NVal, ["n_test"] = run.NTest,
            ["train_seconds"] = run.TrainSeconds, ["total_seconds"] = run.TotalSeconds, ["run_dir"] = run.RunDirectory,
            ["config_json"] = run.ConfigJson,
        };
        foreach (var c in Metrics.MetricKeys.LedgerColumns.Select(m => m.Column))
            values[c] = run.Metrics.TryGetValue(c, out var v) && v is { } d && double.IsFinite(d) ? d : null;
        Upsert("runs", RunColumns, values);
    }

    /// <summary>Inserts or replaces the trials of a run (in one transaction).</summary>
    public void RecordTrials(string runId, IEnumerable<TrialRecord> trials)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var t in trials)
            Upsert("trials", TrialColumns, new Dictionary<string, object?>
            {
                ["run_id"] = runId, ["trial_number"] = (long)t.TrialNumber, ["params_json"] = t.ParamsJson,
                ["mean_score"] = Finite(t.MeanScore), ["std_score"] = Finite(t.StdScore), ["fit_seconds"] = Finite(t.FitSeconds), ["state"] = t.State,
            }, tx);
        tx.Commit();
    }

    /// <summary>Inserts or replaces per-class metrics of a run (in one transaction).</summary>
    public void RecordPerClass(string runId, IEnumerable<PerClassRecord> rows)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var r in rows)
            Upsert("per_class_metrics", PerClassColumns, new Dictionary<string, object?>
            {
                ["run_id"] = runId, ["split"] = r.Split, ["label"] = r.Label, ["precision"] = r.Precision, ["recall"] = r.Recall,
                ["f1"] = r.F1, ["support"] = r.Support, ["roc_auc"] = Finite(r.RocAuc), ["pr_auc"] = Finite(r.PrAuc),
            }, tx);
        tx.Commit();
    }

    /// <summary>Changes a run row's status (and finished time, when given) in place.</summary>
    public void SetStatus(string runId, string status, DateTime? finishedUtc = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "UPDATE runs SET status = $status, finished_utc = COALESCE($finished, finished_utc) WHERE run_id = $id;";
        cmd.Parameters.AddWithValue("$status", status);
        cmd.Parameters.AddWithValue("$finished", (object?)Iso(finishedUtc) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", runId);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Reads whole tables (runs, trials, per_class_metrics) with typed cells, runs ordered by creation time.</summary>
    public IReadOnlyList<LedgerTable> ReadTables() =>
    [
        ReadTable("runs", RunColumns, "ORDER BY created_utc, run_id"),
        ReadTable("trials", TrialColumns, "ORDER BY run_id, trial_number"),
        ReadTable("per_class_metrics", PerClassColumns, "ORDER BY run_id, split, label"),
    ];

    /// <summary>Reads the runs table only.</summary>
    public LedgerTable ReadRuns() => ReadTable("runs", RunColumns, "ORDER BY created_utc, run_id");

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private LedgerTable ReadTable(string table, LedgerColumn[] columns, string order)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", columns.Select(c => c.Name))} FROM {table} {order};";
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[columns.Length];
            for (int i = 0; i < columns.Length; i++)
            {
                if (reader.IsDBNull(i)) continue;
                row[i] = columns[i].Type switch
                {
                    LedgerColumnType.Integer => reader.GetInt64(i),
                    LedgerColumnType.Real => reader.GetDouble(i),
                    LedgerColumnType.DateTime => DateTime.Parse(reader.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    _ => reader.GetString(i),
                };
            }
            rows.Add(row);
        }
        return new LedgerTable(table, columns, rows);
    }

    private void Upsert(string table, LedgerColumn[] columns, Dictionary<string, object?> values, SqliteTransaction? tx = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT OR REPLACE INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select(c => "$" + c.Name))});";
        foreach (var c in columns) cmd.Parameters.AddWithValue("$" + c.Name, values.GetValueOrDefault(c.Name) ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string CreateTable(string name, LedgerColumn[] columns, string key) =>
        $"CREATE TABLE IF NOT EXISTS {name} ({string.Join(", ", columns.Select(c => $"{c.Name} {SqlType(c.Type)}"))}, {key});";

    private static string SqlType(LedgerColumnType t) => t switch
    {
        LedgerColumnType.Integer => "INTEGER",
        LedgerColumnType.Real => "REAL",
        _ => "TEXT",
    };

    private static string? Iso(DateTime? t) => t?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
    private static double? Finite(double? v) => v is { } d && double.IsFinite(d) ? d : null;
}
