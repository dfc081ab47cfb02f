namespace Classify.Core.Runs;

/// <summary>
/// Where runs, trials and per-class metrics are recorded. <see cref="Ledger"/> is the SQLite implementation
/// (runs/ledger.db); a shared database for tuning workers on many machines is another implementation.
/// Every write is an upsert keyed by run id (and trial number / split and label), so recording a row again replaces it.
/// </summary>
public interface ILedger : IDisposable
{
    /// <summary>Where the ledger lives (a file path or a connection description without secrets).</summary>
    string Path { get; }

    /// <summary>Inserts or replaces a run's row.</summary>
    void RecordRun(RunRecord run);

    /// <summary>Inserts or replaces the trials of a run.</summary>
    void RecordTrials(string runId, IEnumerable<TrialRecord> trials);

    /// <summary>Inserts or replaces the per-class metrics of a run.</summary>
    void RecordPerClass(string runId, IEnumerable<PerClassRecord> rows);

    /// <summary>Every table (runs, trials, per-class metrics), for exports.</summary>
    IReadOnlyList<LedgerTable> ReadTables();

    /// <summary>The runs table, oldest first.</summary>
    LedgerTable ReadRuns();

    /// <summary>
    /// Changes the status of a run's row (and its finished time, when given), keeping everything else; nothing happens
    /// when there is no such row. The default reads the runs table and records the row again.
    /// </summary>
    void SetStatus(string runId, string status, DateTime? finishedUtc = null)
    {
        var runs = ReadRuns();
        int id = -1;
        for (int i = 0; i < runs.Columns.Count; i++)
            if (runs.Columns[i].Name == "run_id") id = i;
        var row = runs.Rows.FirstOrDefault(r => id >= 0 && r[id] as string == runId);
        if (row is null) return;
        var record = RunRecord.FromRow(runs, row);
        RecordRun(record with { Status = status, FinishedUtc = finishedUtc ?? record.FinishedUtc });
    }
}
