using Classify.Cli.Tests.BadInput;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Runs;
using Classify.Tuning.Pruners;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>classify tune</c> on 1,500 bundled tweets with the linear engine: a 3-point grid over C, the tables, charts,
/// ledger rows and the retrained best run; k-fold trials whose folds feed a pruner; and bad input refused before
/// anything is written. The study lives in memory (<c>storage: "memory:"</c>) and the grid sampler is the test double.
/// </summary>
public sealed class TuneCommandTests : IDisposable
{
    private readonly Workspace _ws = new();

    static TuneCommandTests()
    {
        StudyComponents.RegisterSampler("grid", _ => new ExhaustiveGridSampler());
        StudyComponents.RegisterPruner("median", _ => new PruneLaterTrialsAtSecondFold());
    }

    public void Dispose() => _ws.Dispose();

    /// <summary>Stands in for the median pruner: lets trial 0 finish and stops every later trial after its second fold.</summary>
    private sealed class PruneLaterTrialsAtSecondFold : IPruner
    {
        public string Name => "median";
        public bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction) => trial.Number > 0 && step >= 2;
    }

    private string Config(string tune, string name = "tweets-tune") => _ws.Write($"{name}.yaml", $"""
        name: {name}
        seed: 42
        data:
          path: {DataSlices.Tweets}
          text_col: text
          label_col: sentiment
          id_col: textID
        engine: linear
        linear:
          tfidf: {"{"}ngram_range: [1, 2], min_df: 1{"}"}
        tune:
        {string.Join("\n", tune.Split('\n').Select(l => "  " + l))}
        """);

    private const string ThreePointGrid = """
        sampler: grid
        storage: "memory:"
        n_trials: 10
        space:
          linear.logreg.C: {choice: [0.1, 1, 10]}
        """;

    private static string[] Rows(string csv) => File.ReadAllLines(csv).Skip(1).ToArray();

    [Fact]
    public void A_grid_study_writes_its_tables_charts_ledger_rows_and_the_best_run()
    {
        var result = CliRunner.Ok("tune", "--config", Config(ThreePointGrid), "--runs-dir", _ws.RunsDir);
        var layout = new TuningLayout(Path.Combine(_ws.RunsDir, "tweets-tune-grid"));   // default study name: <name>-<sampler>

        var rows = Rows(layout.TrialsCsv);
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.Contains(",complete,", r));
        Assert.Equal(["0.1", "1", "10"], rows.Select(r => r.Split(',')[2]).Order(StringComparer.Ordinal));
        var values = rows.Select(r => double.Parse(r.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.All(values, v => Assert.InRange(v, 0.2, 1.0));   // C = 0.1 is close to the majority class (~0.26)
        Assert.Equal(3, values.Distinct().Count());               // each trial trained its own C
        Assert.Contains("the sampler has nothing left to propose", result.Stderr);

        foreach (var chart in new[] { "optimization_history", "slice_linear_logreg_C", "parallel_coordinates" })
        {
            Assert.True(File.Exists(Path.Combine(layout.PlotsDirectory, chart + ".png")), $"{chart}.png is missing");
            Assert.True(File.Exists(Path.Combine(layout.PlotsDirectory, chart + ".svg")), $"{chart}.svg is missing");
        }
        Assert.True(File.Exists(layout.ImportancesCsv));   // header only: 3 trials are too few for the forest
        Assert.Contains("\"complete\": 3", File.ReadAllText(layout.StudyJson));
        Assert.False(Directory.Exists(layout.TrialRunsDirectory) && Directory.EnumerateFileSystemEntries(layout.TrialRunsDirectory).Any(),
            "trial scratch folders are removed when their trials end");

        // best/ is a normal run with the best trial's C, evaluated on validation and test, with its report.
        var best = RunInfo.Load(new RunLayout(layout.BestRunDirectory));
        Assert.Equal(RunStatus.Completed, best.Status);
        int bestIndex = Array.IndexOf(values, values.Max());
        var bestC = rows[bestIndex].Split(',')[2];
        Assert.Equal(bestC, best.Config!["linear"]!["logreg"]!["C"]!.ToJsonString());
        Assert.True(File.Exists(Path.Combine(layout.BestRunDirectory, "report.html")));
        Assert.True(File.Exists(Path.Combine(layout.BestRunDirectory, "metrics", "test.json")));
        Assert.Equal(values.Max(), JsonMetric(Path.Combine(layout.BestRunDirectory, "metrics", "val.json")), 9);   // same split, same model

        // The ledger: the study's row with its three trials (so runs export carries them), and the best run's row.
        using var ledger = Ledger.Open(Path.Combine(_ws.RunsDir, RunLayout.LedgerFileName));
        var tables = ledger.ReadTables().ToDictionary(t => t.Name);
        var runs = tables["runs"];
        int runId = Column(runs, "run_id"), name = Column(runs, "name");
        Assert.Contains(runs.Rows, r => (string?)r[runId] == TuningSession.StudyRunId("tweets-tune-grid"));
        Assert.Contains(runs.Rows, r => (string?)r[name] == "best");
        var trials = tables["trials"];
        Assert.Equal(3, trials.Rows.Count(r => (string?)r[Column(trials, "run_id")] == "tweets-tune-grid-study"));
    }

    [Fact]
    public void Rerunning_continues_the_study_without_losing_or_duplicating_trials()
    {
        var config = Config(ThreePointGrid, name: "tweets-resume");
        var layout = new TuningLayout(Path.Combine(_ws.RunsDir, "tweets-resume-grid"));
        CliRunner.Ok("tune", "--config", config, "--runs-dir", _ws.RunsDir, "--n-trials", "2");
        Assert.Equal(["0", "1"], Rows(layout.TrialsCsv).Select(r => r.Split(',')[0]));
        Assert.Equal(RunStatus.Completed, RunInfo.Load(new RunLayout(layout.BestRunDirectory)).Status);

        var second = CliRunner.Ok("tune", "--config", config, "--runs-dir", _ws.RunsDir, "--n-trials", "3");
        Assert.Contains("2 trials so far", second.Stderr);
        var rows = Rows(layout.TrialsCsv);
        Assert.Equal(["0", "1", "2"], rows.Select(r => r.Split(',')[0]));
        Assert.Equal(3, rows.Select(r => r.Split(',')[2]).Distinct().Count());   // the third grid point, not a repeat

        var third = CliRunner.Ok("tune", "--config", config, "--runs-dir", _ws.RunsDir, "--n-trials", "3");
        Assert.Contains("this worker ran 0 trials", third.Stderr);
        Assert.Equal(3, Rows(layout.TrialsCsv).Length);

        using var ledger = Ledger.Open(Path.Combine(_ws.RunsDir, RunLayout.LedgerFileName));
        var trials = ledger.ReadTables().Single(t => t.Name == "trials");
        Assert.Equal(3, trials.Rows.Count(r => (string?)r[Column(trials, "run_id")] == "tweets-resume-grid-study"));
        var studyRows = ledger.ReadRuns().Rows.Count(r => (string?)r[Column(ledger.ReadRuns(), "run_id")] == "tweets-resume-grid-study");
        Assert.Equal(1, studyRows);
        // best/ was retrained only when the best trial changed: by the third run it holds the study's best already.
        Assert.Contains(third.Stderr.Split('\n'), l => l.Contains("best configuration not retrained") && l.Contains("already holds"));
    }

    [Fact]
    public void Cancelling_a_session_marks_the_running_trial_and_still_writes_the_tables_and_ledger()
    {
        Engines.RegisterAll();
        var config = Core.Configuration.ExperimentConfig.Load(Config(ThreePointGrid, name: "tweets-cancel"), [$"runs_dir={_ws.RunsDir}"]);
        using var cancellation = new CancellationTokenSource();
        var session = new TuningSession(config)
        {
            // Ctrl+C as trial 1 starts: the experiment sees the token while it trains.
            TrialStarted = p => { if (p.Trial.Number == 1) cancellation.Cancel(); },
        };
        var result = session.Run(cancellation.Token);

        Assert.Equal(StudyStopReason.Interrupted, result.Outcome.Reason);
        Assert.Equal([TrialState.Complete, TrialState.Failed, TrialState.Waiting], result.Snapshot.Trials.Select(t => t.State));
        Assert.StartsWith("interrupted", result.Snapshot.Trials[1].Error);
        Assert.Equal(1, result.Snapshot.Trials[2].RetryOf);
        Assert.Null(result.BestRun);
        Assert.Equal("the session was cancelled", result.BestRunNote);
        var rows = Rows(result.Layout.TrialsCsv);
        Assert.Equal(3, rows.Length);
        Assert.Contains(",failed,", rows[1]);
        using var ledger = Ledger.Open(Path.Combine(_ws.RunsDir, RunLayout.LedgerFileName));
        var runs = ledger.ReadRuns();
        var row = runs.Rows.Single(r => (string?)r[Column(runs, "run_id")] == "tweets-cancel-grid-study");
        Assert.Equal(RunStatus.Cancelled, row[Column(runs, "status")]);
        Assert.False(Directory.Exists(result.Layout.TrialRunsDirectory), "the interrupted trial's scratch folder is gone");
    }

    [Fact]
    public void Cross_validated_trials_report_each_fold_and_a_pruned_trial_keeps_its_running_mean()
    {
        var config = Config("""
            sampler: grid
            pruner: median
            storage: "memory:"
            on: cv
            folds: 3
            retrain_best: false
            space:
              linear.logreg.C: {choice: [0.5, 2, 8]}
            """, name: "tweets-cv");
        CliRunner.Ok("tune", "--config", config, "--runs-dir", _ws.RunsDir, "--study", "cv-study");
        var rows = Rows(new TuningLayout(Path.Combine(_ws.RunsDir, "cv-study")).TrialsCsv).Select(r => r.Split(',')).ToArray();
        Assert.Equal(3, rows.Length);
        // number,state,C,value,intermediate_count,last_step,…
        Assert.Equal(("complete", "3", "3"), (rows[0][1], rows[0][4], rows[0][5]));
        Assert.All(rows.Skip(1), r => Assert.Equal(("pruned", "2", "2"), (r[1], r[4], r[5])));
        Assert.False(Directory.Exists(Path.Combine(_ws.RunsDir, "cv-study", TuningLayout.BestRunName)));   // retrain_best: false
    }

    [Fact]
    public void Transformer_evaluations_are_intermediate_values_and_a_pruned_trial_stops_at_its_step()
    {
        var config = _ws.Write("bert-tune.yaml", ScratchTransformer.Config("bert-tune", maxSteps: 20, transformerExtra: "  eval_strategy: steps\n  eval_steps: 10") + """

            tune:
              sampler: grid
              pruner: median
              storage: "memory:"
              retrain_best: false
              space:
                transformer.learning_rate: {choice: [0.001, 0.003]}
            """);
        CliRunner.Ok("tune", "--config", config, "--runs-dir", _ws.RunsDir);
        var rows = Rows(new TuningLayout(Path.Combine(_ws.RunsDir, "bert-tune-grid")).TrialsCsv).Select(r => r.Split(',')).ToArray();
        // number,state,learning_rate,value,intermediate_count,last_step,…: trial 0 evaluated at steps 10 and 20; trial 1
        // was pruned at its first evaluation (step 10) and keeps that value.
        Assert.Equal(("complete", "2", "20"), (rows[0][1], rows[0][4], rows[0][5]));
        Assert.Equal(("pruned", "1", "10"), (rows[1][1], rows[1][4], rows[1][5]));
        Assert.InRange(double.Parse(rows[1][3], System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0);
    }

    [Fact]
    public void Help_lists_the_tune_verb_and_its_worker_options()
    {
        var result = CliRunner.Ok("tune", "--help");
        foreach (var option in new[] { "--config", "--study", "--sampler", "--n-trials", "--storage", "--runs-dir", "--set" })
            Assert.Contains(option, result.Stdout);
    }

    [Theory]
    [InlineData("linear.tfidf.bogus: {choice: [1, 2]}", "tune.space.linear.tfidf.bogus", "unknown setting")]
    [InlineData("linear.tfidf.min_df: {int: [-1, 3]}", "tune.space.linear.tfidf.min_df", "-1 is refused")]
    [InlineData("cleaning.lowercas: {choice: [true, false]}", "tune.space.cleaning.lowercas", "unknown setting")]
    [InlineData("linear.logreg.C: {choice: []}", "tune.space.linear.logreg.C", "empty choice")]
    [InlineData("linear.logreg.C: {uniform: [10, 1]}", "tune.space.linear.logreg.C", "greater than high")]
    [InlineData("linear.logreg.C: {log_uniform: [0, 1]}", "tune.space.linear.logreg.C", "low > 0")]
    [InlineData("linear.tfidf.max_df: {uniform: [0.5, 1.0], step: 0.3}", "tune.space.linear.tfidf.max_df", "does not divide")]
    public void A_bad_space_exits_2_with_the_file_line_and_key_and_writes_nothing(string entry, string key, string reason)
    {
        var config = Config($"sampler: grid\nstorage: \"memory:\"\nspace:\n  {entry}");
        var result = CliRunner.Run("tune", "--config", config, "--runs-dir", _ws.RunsDir);
        BadInputTests.AssertInputError(_ws, result, $"{config}:15", key, reason);   // the entry is on line 15
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:"));
        Assert.False(Directory.Exists(_ws.RunsDir), "nothing is written for bad input (not even the ledger)");
    }

    [Fact]
    public void An_unreachable_postgresql_storage_exits_2_without_showing_its_password_and_writes_nothing()
    {
        var config = Config(ThreePointGrid.Replace("storage: \"memory:\"", "storage: postgresql://tuner:hunter2@127.0.0.1:1/studies"));
        var result = CliRunner.Run("tune", "--config", config, "--runs-dir", _ws.RunsDir);
        BadInputTests.AssertInputError(_ws, result, "tune.storage", "nothing listens at 127.0.0.1:1");
        Assert.DoesNotContain("hunter2", result.Stderr + result.Stdout);
        Assert.False(Directory.Exists(_ws.RunsDir));
    }

    [Fact]
    public void A_config_without_a_tune_section_is_bad_input()
    {
        var config = _ws.Write("plain.yaml", $"name: plain\ndata: {{path: {DataSlices.Tweets}, label_col: sentiment}}\n");
        BadInputTests.AssertInputError(_ws, CliRunner.Run("tune", "--config", config, "--runs-dir", _ws.RunsDir), "no tune: section");
    }

    [Theory]
    [InlineData("tweets-tune.yaml", "tpe", 40, 5)]
    [InlineData("tweets-bert-tune.yaml", "random", 12, 5)]
    public void The_tune_examples_read_and_every_value_of_their_space_fits_their_engine(string file, string sampler, int trials, int parameters)
    {
        Engines.RegisterAll();
        var config = Core.Configuration.ExperimentConfig.Load(Path.Combine(TestPaths.RepoRoot, "examples", file),
            [$"runs_dir={_ws.RunsDir}", $"data.path={DataSlices.Tweets400}"]);
        var settings = TuneSettings.Read(config);
        Assert.Equal((sampler, trials, parameters), (settings.Sampler.Name, settings.Trials, settings.Space.Parameters.Count));
        ExperimentObjective.Prepare(config, settings, Path.Combine(_ws.RunsDir, "scratch"), log: null, default).CheckSpace(settings.Space);
        Assert.False(Directory.Exists(_ws.RunsDir), "checking writes nothing");
    }

    private static int Column(LedgerTable table, string name) => table.Columns.Select((c, i) => (c, i)).Single(x => x.c.Name == name).i;

    private static double JsonMetric(string path) =>
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!["macro_f1"]!.GetValue<double>();
}
