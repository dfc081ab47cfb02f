using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;
using Microsoft.Data.Sqlite;

namespace Classify.Tuning.Tests.Storage;

/// <summary>The storage contract on SQLite: every instance is its own connection to one database file.</summary>
public sealed class SqliteStudyStorageContractTests : StudyStorageContract, IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    private string DatabasePath => Path.Combine(_dir, "runs", "ledger.db");

    protected override IStudyStorage OpenStorage() => SqliteStudyStorage.Open(DatabasePath);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class SqliteStudyStorageTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Study_tables_live_in_the_runs_ledger_beside_its_own_trials_table()
    {
        var path = Path.Combine(_dir, "runs", "ledger.db");
        using (var ledger = Ledger.Open(path))
            ledger.RecordTrials("run-1", [new TrialRecord(0, """{"c":1}""", 0.5, 0.1, 1.0)]);
        using (var storage = SqliteStudyStorage.Open(path))
        {
            var study = storage.CreateOrLoadStudy(new StudyDefinition("s", StudyDirection.Maximize, "val.macro_f1", "{}"));
            storage.CreateRunningTrial(study.Id, new Dictionary<string, object?> { ["c"] = 2L }, null, "h:1:a");
            Assert.Equal(path, storage.Description);
        }
        using (var ledger = Ledger.Open(path))
        {
            var trials = ledger.ReadTables().Single(t => t.Name == "trials");
            Assert.Equal("run-1", Assert.Single(trials.Rows)[0]);
        }
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", cmd.ExecuteScalar());
        cmd.CommandText = "SELECT COUNT(*) FROM study_trials;";
        Assert.Equal(1L, cmd.ExecuteScalar());
        cmd.CommandText = "SELECT version FROM study_schema;";
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public void A_database_with_newer_study_tables_is_refused()
    {
        var path = Path.Combine(_dir, "ledger.db");
        using (SqliteStudyStorage.Open(path)) { }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE study_schema SET version = 99;";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<InputException>(() => SqliteStudyStorage.Open(path));
        Assert.Contains("version 99, newer than this program's 1", e.Message);
    }

    [Fact]
    public void A_path_that_is_not_a_database_is_a_clear_error()
    {
        var path = Path.Combine(_dir, "notes.db");
        File.WriteAllText(path, new string('x', 4096));
        var e = Assert.Throws<InputException>(() => SqliteStudyStorage.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("cannot open the study database", e.Message);
    }

    [Fact]
    public void Three_workers_on_one_machine_share_a_study_and_survive_one_killed_mid_trial()
    {
        var path = Path.Combine(_dir, "runs", "ledger.db");
        var outcome = WorkerScenario.Run(path, workers: 3, gridSize: 12, trialMs: 450, staleAfterMs: 1500, killAfterDone: 1, timeout: TimeSpan.FromSeconds(60));
        WorkerScenario.AssertNothingLostOrDuplicated(outcome, gridSize: 12);
    }

    [Fact]
    public void A_worker_killed_in_a_tight_write_loop_leaves_a_consistent_database_that_another_worker_completes()
    {
        var path = Path.Combine(_dir, "runs", "ledger.db");
        var study = WorkerScenario.NewStudyName();
        // 300 trials of at least 9 ms (three 3 ms steps): seconds of work, so a busy machine's polling thread still sees
        // 20 of them end long before the worker would finish.
        const int Grid = 300;
        using (var victim = WorkerScenario.Worker(path, study, Grid, trialMs: 9, staleAfterMs: 300, "victim"))
        {
            var done = 0;
            victim.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("done ", StringComparison.Ordinal) == true) Interlocked.Increment(ref done); };
            victim.Start();
            victim.BeginOutputReadLine();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref done) < 20 && clock.Elapsed < TimeSpan.FromSeconds(30) && !victim.HasExited) Thread.Sleep(2);
            Assert.False(victim.HasExited, "the worker ended before it was killed");
            victim.Kill(); // SIGKILL, in the middle of its stream of small transactions
            victim.WaitForExit();
        }

        using (var storage = SqliteStudyStorage.Open(path))
        {
            Assert.Equal("ok", storage.IntegrityCheck());
            var info = storage.CreateOrLoadStudy(WorkerScenario.Definition(study, Grid));
            var trials = storage.GetTrials(info.Id);
            Assert.InRange(trials.Count, 20, Grid);
            Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
            Assert.InRange(trials.Count(t => t.State == TrialState.Running), 0, 1);
            Assert.All(trials.Where(t => t.State == TrialState.Complete), t => Assert.Equal(3, t.IntermediateValues.Count));
            Assert.Equal(trials.Count, trials.Select(t => t.GridKey).Distinct().Count());
        }

        using var finisher = WorkerScenario.Worker(path, study, Grid, trialMs: 0, staleAfterMs: 300, "finisher");
        finisher.Start();
        Assert.True(finisher.WaitForExit(TimeSpan.FromSeconds(90)), "the finishing worker did not complete the study");
        Assert.Equal(0, finisher.ExitCode);
        using (var storage = SqliteStudyStorage.Open(path))
        {
            var trials = storage.GetTrials(storage.CreateOrLoadStudy(WorkerScenario.Definition(study, Grid)).Id);
            var complete = trials.Where(t => t.State == TrialState.Complete).Select(t => t.GridKey).Order().ToList();
            Assert.Equal(Enumerable.Range(0, Grid).Select(x => $"g{x}").Order(), complete);
            Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
            Assert.All(trials.Where(t => t.State == TrialState.Failed), t => Assert.Contains("stale", t.Error));
        }
    }
}
