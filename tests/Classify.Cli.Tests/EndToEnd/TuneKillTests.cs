using System.Globalization;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;
using Classify.Tuning.Study;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// Issue 13 acceptance, SQLite: a <c>classify tune</c> worker killed with SIGKILL mid-trial, then run again, completes
/// the study with no lost and no duplicated trial — with the real grid sampler and the default storage (the runs
/// ledger), in child processes.
/// </summary>
public sealed class TuneKillTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>A 12-point grid (C × sublinear_tf) on 1,500 tweets, each trial a 5-fold CV, the study named <c>&lt;name&gt;-grid</c>.</summary>
    private string GridStudy(string name, string extraTuneLine = "") => _ws.Write($"{name}.yaml", $$"""
        name: {{name}}
        seed: 42
        data:
          path: {{DataSlices.Tweets}}
          text_col: text
          label_col: sentiment
          id_col: textID
        engine: linear
        linear:
          tfidf: {ngram_range: [1, 2], min_df: 1}
        tune:
          sampler: grid
          on: cv
          folds: 5
          n_trials: 50
          {{extraTuneLine}}
          space:
            linear.logreg.C: {choice: [0.03, 0.1, 0.3, 1, 3, 10]}
            linear.tfidf.sublinear_tf: {choice: [true, false]}
        """);

    [Fact]
    public void A_worker_killed_mid_trial_loses_and_duplicates_nothing_when_the_study_is_run_again()
    {
        var config = GridStudy("kill");
        var layout = new TuningLayout(Path.Combine(_ws.RunsDir, "kill-grid"));
        bool killed = false;
        // Kill -9 while trial 2 (or a later one) is running: its scratch folder exists only while it runs.
        var first = CliRunner.RunProcess(["tune", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report"], timeout: TimeSpan.FromMinutes(5),
            whileRunning: process =>
            {
                if (killed || !Directory.Exists(layout.TrialRunsDirectory)) return;
                if (Directory.GetDirectories(layout.TrialRunsDirectory).Any(d => int.Parse(Path.GetFileName(d)[6..], CultureInfo.InvariantCulture) >= 2))
                {
                    process.Kill(entireProcessTree: true);   // SIGKILL: no handler runs
                    killed = true;
                }
            }, pollMilliseconds: 20);
        Assert.True(killed, $"the worker finished before it could be killed: {first}");

        var second = CliRunner.RunProcess(["tune", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report"], timeout: TimeSpan.FromMinutes(5));
        Assert.True(second.ExitCode == 0, second.ToString());

        var table = CsvTable.Read(layout.TrialsCsv);
        int State(string name) => table.Header.IndexOf(name);
        var complete = table.Rows.Where(r => r[State("state")] == "complete").ToList();
        var points = complete.Select(r => $"{r[State("linear.logreg.C")]}|{r[State("linear.tfidf.sublinear_tf")]}").ToList();
        Assert.Equal(12, points.Count);                     // every grid point evaluated …
        Assert.Equal(12, points.Distinct().Count());        // … exactly once
        var failed = table.Rows.Where(r => r[State("state")] == "failed").ToList();
        Assert.NotEmpty(failed);                            // the killed trial, found dead on the next start
        Assert.All(failed, f => Assert.Contains(table.Rows, r => r[State("retry_of")] == f[State("number")]));   // and retried
        var numbers = table.Rows.Select(r => int.Parse(r[State("number")]!, CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, numbers.Length), numbers);   // dense: nothing lost
        Assert.DoesNotContain(table.Rows, r => r[State("state")] is "running" or "waiting");
    }

    [SkippableFact]
    public void Three_postgresql_workers_share_one_grid_and_survive_a_worker_killed_mid_trial()
    {
        var url = Environment.GetEnvironmentVariable("CLASSIFY_TEST_POSTGRES");
        Skip.If(string.IsNullOrEmpty(url), "CLASSIFY_TEST_POSTGRES is unset: run under tests/postgres/with-postgres.sh (./test.sh does when it can)");
        var name = $"pg{Guid.NewGuid():N}"[..12];   // one study per run of this test in the shared test database
        var config = GridStudy(name, "heartbeat_interval: 0.5");
        var layout = new TuningLayout(Path.Combine(_ws.RunsDir, $"{name}-grid"));
        string[] Worker(int i) => ["tune", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report", "--storage", url!];
        bool killed = false;
        var started = new HashSet<string>(StringComparer.Ordinal);
        var victim = Task.Run(() => CliRunner.RunProcess(Worker(0), timeout: TimeSpan.FromMinutes(5), whileRunning: process =>
        {
            // Its own trial folder names its worker only in the storage; kill it once two trials have started anywhere.
            // A trial's folder exists only while it runs, and three workers finish short trials fast: count every folder
            // ever seen, not the ones present at one poll (two at once can slip between polls on a loaded machine).
            if (killed || !Directory.Exists(layout.TrialRunsDirectory)) return;
            foreach (var d in Directory.GetDirectories(layout.TrialRunsDirectory)) started.Add(Path.GetFileName(d));
            if (started.Count < 2) return;
            process.Kill(entireProcessTree: true);
            killed = true;
        }, pollMilliseconds: 20));
        var others = Enumerable.Range(1, 2).Select(i => Task.Run(() => CliRunner.RunProcess(Worker(i), timeout: TimeSpan.FromMinutes(5)))).ToArray();
        victim.Wait();
        Task.WaitAll(others);
        Assert.True(killed, $"the first worker finished before it could be killed: {victim.Result}");
        Assert.All(others, o => Assert.True(o.Result.ExitCode == 0, o.Result.ToString()));

        var table = CsvTable.Read(layout.TrialsCsv);
        int Column(string c) => table.Header.IndexOf(c);
        var points = table.Rows.Where(r => r[Column("state")] == "complete")
            .Select(r => $"{r[Column("linear.logreg.C")]}|{r[Column("linear.tfidf.sublinear_tf")]}").ToList();
        Assert.Equal(12, points.Count);
        Assert.Equal(12, points.Distinct().Count());
        Assert.All(table.Rows.Where(r => r[Column("state")] == "failed"), f => Assert.Contains(table.Rows, r => r[Column("retry_of")] == f[Column("number")]));
        var numbers = table.Rows.Select(r => int.Parse(r[Column("number")]!, CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, numbers.Length), numbers);
        Assert.True(table.Rows.Select(r => r[Column("worker")]).Distinct().Count() >= 2, "the trials were shared by the workers");
    }
}
