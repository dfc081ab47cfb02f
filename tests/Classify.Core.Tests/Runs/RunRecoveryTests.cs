using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Runs;

public sealed class RunRecoveryTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunsDir => Path.Combine(_dir.Path, "runs");

    private static string Guid32 => Guid.NewGuid().ToString("N");

    /// <summary>A run folder with run.json and a ledger row in <paramref name="status"/>.</summary>
    private RunLayout MakeRun(string name, string status, DateTime? finished = null)
    {
        var layout = new RunLayout(Path.Combine(RunsDir, name));
        Directory.CreateDirectory(layout.Root);
        var info = new RunInfo { Name = name, RunId = $"{name}-1", Status = status, Engine = "linear", FinishedUtc = finished };
        info.Save(layout);
        using var ledger = Ledger.Open(layout.LedgerDatabase);
        ledger.RecordRun(Experiment.ToRecord(info, layout, null, null) with { Metrics = new Dictionary<string, double?> { ["test_macro_f1"] = 0.5 } });
        return layout;
    }

    private string? LedgerStatus(string runId)
    {
        using var ledger = Ledger.Open(Path.Combine(RunsDir, "ledger.db"));
        var runs = ledger.ReadRuns();
        int id = runs.Columns.ToList().FindIndex(c => c.Name == "run_id"), status = runs.Columns.ToList().FindIndex(c => c.Name == "status");
        return runs.Rows.SingleOrDefault(r => (string?)r[id] == runId)?[status] as string;
    }

    [Fact]
    public void A_running_run_whose_process_is_gone_becomes_interrupted_in_run_json_and_ledger_and_its_temporaries_go()
    {
        if (!OperatingSystem.IsLinux()) return;
        var layout = MakeRun("dead", RunStatus.Running);
        int pid = RunLockTests.DeadPid();
        RunLockTests.WriteLock(layout, pid, "proc:1", runId: "dead-1");
        File.WriteAllText(Path.Combine(layout.Root, $".run.json.{pid}.{Guid32}.tmp"), "{");
        Directory.CreateDirectory(Path.Combine(layout.Root, $".model.{Guid32}.tmp"));
        var log = new List<string>();

        var recovered = Assert.Single(RunRecovery.RecoverAll(RunsDir, log: log.Add));

        Assert.True(recovered.MarkedInterrupted);
        Assert.Equal(pid, recovered.DeadPid);
        Assert.Equal(2, recovered.RemovedTemporaries.Count);
        var info = RunInfo.Load(layout);
        Assert.Equal(RunStatus.Interrupted, info.Status);
        Assert.Equal($"process {pid} ended without finishing the run", info.Error);
        Assert.NotNull(info.FinishedUtc);
        Assert.Equal(RunStatus.Interrupted, LedgerStatus("dead-1"));
        Assert.Equal(["run.json"], Directory.GetFileSystemEntries(layout.Root).Select(Path.GetFileName));
        Assert.Contains(log, l => l.Contains($"left running by process {pid}") && l.Contains("interrupted"));
        Assert.Empty(RunRecovery.RecoverAll(RunsDir));   // nothing left to do
    }

    [Fact]
    public void A_run_being_written_by_a_live_process_is_left_alone()
    {
        var layout = MakeRun("alive", RunStatus.Running);
        using (RunLock.Acquire(layout, "train", "alive-1"))
        {
            var staged = Path.Combine(layout.Root, $".run.json.{Environment.ProcessId}.{Guid32}.tmp");
            File.WriteAllText(staged, "being written");
            Assert.Empty(RunRecovery.RecoverAll(RunsDir));
            Assert.Null(RunRecovery.Recover(layout));
            Assert.Equal(RunStatus.Running, RunInfo.Load(layout).Status);
            Assert.Equal(RunStatus.Running, LedgerStatus("alive-1"));
            Assert.True(File.Exists(staged), "a live writer's temporary file is not touched");
            Assert.True(File.Exists(layout.LockFile));
        }
    }

    [Fact]
    public void A_running_run_without_a_lock_and_a_ledger_row_whose_folder_is_gone_are_interrupted_too()
    {
        var legacy = MakeRun("legacy", RunStatus.Running);   // written before run.lock existed, or its lock was deleted
        var orphan = MakeRun("orphan", RunStatus.Running);
        Directory.Delete(orphan.Root, recursive: true);
        var done = MakeRun("done", RunStatus.Completed, DateTime.UtcNow);

        var recovered = RunRecovery.RecoverAll(RunsDir);

        Assert.Equal(legacy.Root, Assert.Single(recovered).Layout.Root);
        Assert.Equal("the process writing the run ended without finishing the run", RunInfo.Load(legacy).Error);
        Assert.Equal(RunStatus.Interrupted, LedgerStatus("legacy-1"));
        Assert.Equal(RunStatus.Interrupted, LedgerStatus("orphan-1"));
        Assert.Equal(RunStatus.Completed, LedgerStatus("done-1"));
        Assert.Equal(RunStatus.Completed, RunInfo.Load(done).Status);
    }

    [Fact]
    public void A_completed_run_whose_writer_died_during_the_report_stays_completed_and_loses_its_temporaries()
    {
        if (!OperatingSystem.IsLinux()) return;
        var layout = MakeRun("reported", RunStatus.Completed, DateTime.UtcNow);
        int pid = RunLockTests.DeadPid();
        RunLockTests.WriteLock(layout, pid, "proc:1", runId: "reported-1");
        Directory.CreateDirectory(Path.Combine(layout.Root, "plots"));
        File.WriteAllText(Path.Combine(layout.Root, "plots", $".roc.svg.{pid}.{Guid32}.tmp"), "<svg");

        var recovered = RunRecovery.Recover(layout)!;

        Assert.False(recovered.MarkedInterrupted);
        Assert.Contains("ended while writing its report", recovered.Describe());
        Assert.Contains("classify report", recovered.Describe());
        Assert.Equal(RunStatus.Completed, RunInfo.Load(layout).Status);
        Assert.Equal(RunStatus.Completed, LedgerStatus("reported-1"));
        Assert.Empty(Directory.GetFiles(Path.Combine(layout.Root, "plots")));
        Assert.False(File.Exists(layout.LockFile));
    }

    [Fact]
    public void Recovery_never_creates_a_runs_folder_or_a_ledger()
    {
        Assert.Empty(RunRecovery.RecoverAll(RunsDir));
        Assert.False(Directory.Exists(RunsDir));
        var layout = new RunLayout(Path.Combine(RunsDir, "x"));
        Directory.CreateDirectory(layout.Root);
        new RunInfo { Name = "x", RunId = "x-1" }.Save(layout);   // running, no ledger
        Assert.True(RunRecovery.Recover(layout)!.MarkedInterrupted);
        Assert.False(File.Exists(layout.LedgerDatabase));
    }

    [Fact]
    public void Setting_a_status_keeps_the_rest_of_the_row_in_the_sqlite_ledger_and_through_the_interface_default()
    {
        MakeRun("kept", RunStatus.Completed, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        using (var ledger = Ledger.Open(Path.Combine(RunsDir, "ledger.db")))
        {
            ledger.SetStatus("kept-1", RunStatus.Overwritten);
            ((ILedger)new DefaultOnly(ledger)).SetStatus("kept-1", RunStatus.Interrupted, new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc));
            ledger.SetStatus("no-such-run", RunStatus.Interrupted);
            var runs = ledger.ReadRuns();
            var record = RunRecord.FromRow(runs, Assert.Single(runs.Rows));
            Assert.Equal(RunStatus.Interrupted, record.Status);
            Assert.Equal(new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc), record.FinishedUtc);
            Assert.Equal(0.5, record.Metrics["test_macro_f1"]);
            Assert.Equal("linear", record.Engine);
        }
    }

    /// <summary>An ILedger that uses the interface's default SetStatus.</summary>
    private sealed class DefaultOnly(Ledger inner) : ILedger
    {
        public string Path => inner.Path;
        public void RecordRun(RunRecord run) => inner.RecordRun(run);
        public void RecordTrials(string runId, IEnumerable<TrialRecord> trials) => inner.RecordTrials(runId, trials);
        public void RecordPerClass(string runId, IEnumerable<PerClassRecord> rows) => inner.RecordPerClass(runId, rows);
        public IReadOnlyList<LedgerTable> ReadTables() => inner.ReadTables();
        public LedgerTable ReadRuns() => inner.ReadRuns();
        public void Dispose() { }
    }
}
