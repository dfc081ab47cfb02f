using Classify.Core.IO;

namespace Classify.Core.Runs;

/// <summary>What recovering one run folder found and did.</summary>
/// <param name="Layout">The run folder.</param>
/// <param name="PreviousStatus">run.json's status before (null without a readable run.json).</param>
/// <param name="Status">run.json's status after.</param>
/// <param name="DeadPid">The pid of the process that held the stale lock, when there was one.</param>
/// <param name="RemovedTemporaries">Temporary files and folders removed (or parked folders restored).</param>
public sealed record RecoveredRun(RunLayout Layout, string? PreviousStatus, string? Status, int? DeadPid, IReadOnlyList<string> RemovedTemporaries)
{
    /// <summary>Whether the run was marked <see cref="RunStatus.Interrupted"/> now.</summary>
    public bool MarkedInterrupted => PreviousStatus == RunStatus.Running && Status == RunStatus.Interrupted;

    /// <summary>One line for the console.</summary>
    public string Describe()
    {
        var who = DeadPid is { } pid ? $"process {pid}" : "the process writing it";
        var temps = RemovedTemporaries.Count > 0 ? $"; removed {RemovedTemporaries.Count} temporary file(s)" : "";
        if (MarkedInterrupted) return $"run '{Layout.Name}' was left running by {who}, which has ended: marked interrupted{temps}";
        if (PreviousStatus == RunStatus.Completed && DeadPid is not null)
            return $"run '{Layout.Name}' is complete but {who} ended while writing its report{temps}; `classify report {Layout.Root}` writes it again";
        return $"run '{Layout.Name}': {who} ended while writing it{temps}";
    }
}

/// <summary>
/// Finds runs whose process is gone and makes them say so. A run folder whose run.json says <c>running</c> while no live
/// process holds its <c>run.lock</c> (killed, crashed, power lost) is marked <see cref="RunStatus.Interrupted"/> in
/// run.json and in the ledger, with the time it was found and the error "process N ended without finishing the run";
/// the temporary files its writer left (<see cref="AtomicFile.IsTemporary"/>) are removed and the stale lock is deleted.
/// Every command that reads runs calls it first (<c>train</c>, <c>eval</c>, <c>report</c>, <c>runs</c>, <c>compare</c>).
/// </summary>
public static class RunRecovery
{
    /// <summary>
    /// The default ledger opener for recovery: the runs folder's ledger.db when it exists (recovery never creates one).
    /// </summary>
    public static ILedger? OpenExistingLedger(RunLayout layout) =>
        File.Exists(layout.LedgerDatabase) ? Ledger.Open(layout.LedgerDatabase) : null;

    /// <summary>
    /// Recovers every run under <paramref name="runsDirectory"/> that needs it: folders with a run.lock, and runs the
    /// ledger lists as running (a ledger row whose folder no longer holds that run is marked interrupted too). Cheap when
    /// nothing is wrong: it reads only the ledger's running rows and checks each folder for run.lock.
    /// </summary>
    public static IReadOnlyList<RecoveredRun> RecoverAll(string runsDirectory, Func<RunLayout, ILedger?>? openLedger = null, Action<string>? log = null)
    {
        var recovered = new List<RecoveredRun>();
        if (!Directory.Exists(runsDirectory)) return recovered;
        openLedger ??= OpenExistingLedger;
        var probe = new RunLayout(Path.Combine(runsDirectory, "_"));
        using var ledger = openLedger(probe);
        var runningRows = ledger is null ? [] : RunningRows(ledger);

        var folders = Directory.EnumerateDirectories(runsDirectory)
            .Where(d => !AtomicFile.IsTemporary(Path.GetFileName(d)) && File.Exists(Path.Combine(d, "run.lock")))
            .Concat(runningRows.Select(r => r.Dir).Where(d => d is not null && Directory.Exists(d)).Cast<string>())
            .Select(Path.GetFullPath).Distinct();
        foreach (var folder in folders)
            if (RecoverCore(new RunLayout(folder), () => ledger, log) is { } r) recovered.Add(r);

        // Rows still running whose folder holds another run (or none) and that no live process is writing.
        if (ledger is not null)
            foreach (var (runId, dir) in RunningRows(ledger))
            {
                if (dir is not null && Directory.Exists(dir))
                {
                    var layout = new RunLayout(dir);
                    if (RunLock.Inspect(layout, out var holder) == RunLockState.Live && (holder?.RunId is null || holder.RunId == runId)) continue;
                    if (TryLoad(layout)?.RunId == runId) continue;
                }
                ledger.SetStatus(runId, RunStatus.Interrupted, DateTime.UtcNow);
                log?.Invoke($"ledger: run {runId} was left running and its folder no longer holds it: marked interrupted");
            }
        return recovered;
    }

    /// <summary>
    /// Recovers one run folder if no live process holds it: a <c>running</c> run is marked interrupted (run.json and the
    /// ledger), temporaries are removed, a stale lock is deleted. Returns null when there was nothing to do or the folder
    /// is being written. The ledger (default: the runs folder's ledger.db if it exists) is opened only when needed and
    /// disposed afterwards.
    /// </summary>
    public static RecoveredRun? Recover(RunLayout layout, Func<RunLayout, ILedger?>? openLedger = null, Action<string>? log = null)
    {
        ILedger? ledger = null;
        try
        {
            return RecoverCore(layout, () => ledger ??= (openLedger ?? OpenExistingLedger)(layout), log);
        }
        finally
        {
            ledger?.Dispose();
        }
    }

    private static RecoveredRun? RecoverCore(RunLayout layout, Func<ILedger?> ledger, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!Directory.Exists(layout.Root)) return null;
        var state = RunLock.Inspect(layout, out _);
        if (state == RunLockState.Live) return null;
        var before = TryLoad(layout);
        if (state == RunLockState.None && before?.Status != RunStatus.Running && !HasTemporaries(layout.Root)) return null;

        using var runLock = RunLock.TryAcquire(layout, "recover", null, out _);
        if (runLock is null) return null;
        var result = Settle(layout, runLock.Broken, ledger);
        if (result is not null) log?.Invoke(result.Describe());
        return result;
    }

    /// <summary>
    /// Under the folder's lock: marks a <c>running</c> run (whose writer must be gone, since this process holds the lock)
    /// interrupted and removes temporaries. Null when nothing changed.
    /// </summary>
    internal static RecoveredRun? Settle(RunLayout layout, RunLockHolder? broken, Func<ILedger?> ledger)
    {
        var info = TryLoad(layout);
        string? status = info?.Status;
        if (info is { Status: RunStatus.Running })
        {
            var who = broken is { Pid: > 0 } b ? $"process {b.Pid}" : "the process writing the run";
            var interrupted = info with { Status = RunStatus.Interrupted, FinishedUtc = DateTime.UtcNow, Error = $"{who} ended without finishing the run" };
            interrupted.Save(layout);
            ledger()?.RecordRun(Experiment.ToRecord(interrupted, layout, null, null));
            status = interrupted.Status;
        }
        var removed = AtomicFile.RemoveStaleTemporaries(layout.Root);
        if (status == info?.Status && removed.Count == 0 && broken is null) return null;
        return new RecoveredRun(layout, info?.Status, status, broken is { Pid: > 0 } dead ? dead.Pid : null, removed);
    }

    /// <summary>run.json, or null when it is missing or unreadable.</summary>
    internal static RunInfo? TryLoad(RunLayout layout)
    {
        if (!File.Exists(layout.RunJson)) return null;
        try { return RunInfo.Load(layout); }
        catch (InputException) { return null; }
        catch (IOException) { return null; }
    }

    private static bool HasTemporaries(string root)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(root, ".*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Any(p => AtomicFile.IsTemporary(Path.GetFileName(p)));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static List<(string RunId, string? Dir)> RunningRows(ILedger ledger)
    {
        var table = ledger.ReadRuns();
        int id = Index(table, "run_id"), status = Index(table, "status"), dir = Index(table, "run_dir");
        if (id < 0 || status < 0) return [];
        return table.Rows.Where(r => r[status] as string == RunStatus.Running && r[id] is string)
            .Select(r => ((string)r[id]!, dir < 0 ? null : r[dir] as string)).ToList();
    }

    private static int Index(LedgerTable table, string column)
    {
        for (int i = 0; i < table.Columns.Count; i++)
            if (table.Columns[i].Name == column) return i;
        return -1;
    }
}
