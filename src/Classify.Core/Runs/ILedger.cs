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
}
