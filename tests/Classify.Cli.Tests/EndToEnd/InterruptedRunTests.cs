using System.Diagnostics;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// A real <c>classify train</c> process (a linear run with a grid search over the 27,480 tweets, a few seconds) killed with
/// SIGKILL or stopped with SIGTERM at chosen moments, found by watching the run folder: the next command shows the run
/// as it really ended (interrupted, cancelled, or completed without its report), no temporary file or lock survives,
/// run.json and the ledger agree, and the run can be redone with --overwrite. Linux only (signals, /proc).
/// </summary>
public sealed class InterruptedRunTests : IDisposable
{
    private const string Name = "slow";
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private string RunDir => Path.Combine(_ws.RunsDir, Name);

    // 6 values of C × 5 folds on word bigrams of the whole (read-only) train.csv: about 2 s of grid search (on 6,000
    // tweets it now takes half a second, too short to be caught 600 ms in), then a report of about a second.
    private string Config() => _ws.Write("slow.yaml", $"""
        name: {Name}
        seed: 7
        data:
          path: {TestPaths.SharedData("tweet-sentiment-extraction", "train.csv")}
          label_col: sentiment
          id_col: textID
        engine: linear
        linear:
          tfidf:
            ngram_range: [1, 2]
          search:
            grid:
              C: [0.01, 0.1, 1, 10, 100, 1000]
            cv: 5
        """);

    private RunProbe Probe => new(_ws.RunsDir, Name);
    private JsonNode RunJson => Probe.RunJson;
    private string? Status => Probe.Status;
    private bool RunJsonSays(string status) => Probe.RunJsonSays(status);
    private List<(string RunId, string Status)> LedgerRows() => Probe.LedgerRows().Select(r => (r.RunId, r.Status)).ToList();
    private void AssertSettled(string status) => Probe.AssertSettled(status);
    private static void Sigkill(Process p) => RunProbe.Sigkill(p);
    private static void Sigterm(Process p) => RunProbe.Sigterm(p);

    /// <summary>
    /// Runs <c>classify train</c> as a child process and stops it (<paramref name="stop"/>) the first time
    /// <paramref name="moment"/> holds; fails if the process ended before that moment.
    /// </summary>
    private (CliResult Result, int Pid) TrainAndStopWhen(Func<bool> moment, Action<Process> stop, Action<Process>? atMoment = null) =>
        RunProbe.RunAndStopWhen(["train", "--config", Config(), "--runs-dir", _ws.RunsDir], moment, stop, atMoment);

    private static bool Linux => OperatingSystem.IsLinux();

    private bool InGridSearch => !File.Exists(Path.Combine(RunDir, "search", "grid.csv")) && !Directory.Exists(Path.Combine(RunDir, "model"));

    [Fact]
    public void Killed_right_after_run_json_appears_the_run_shows_interrupted_and_a_second_writer_was_refused_meanwhile()
    {
        if (!Linux) return;
        CliResult? concurrent = null, concurrentOverwrite = null;
        var (killed, pid) = TrainAndStopWhen(() => RunJsonSays("running"), Sigkill, atMoment: _ =>
        {
            concurrent = CliRunner.Run("train", "--config", Config(), "--runs-dir", _ws.RunsDir);
            concurrentOverwrite = CliRunner.Run("train", "--config", Config(), "--runs-dir", _ws.RunsDir, "--overwrite");
        });
        Assert.Equal(137, killed.ExitCode);
        foreach (var c in new[] { concurrent!, concurrentOverwrite! })
        {
            Assert.True(c.ExitCode == 2, c.ToString());
            Assert.Contains($"run '{Name}' is being written by pid {pid}", c.StderrUnwrapped);
        }
        Assert.Equal("running", Status);   // nothing has looked at it yet

        var list = CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir);
        Assert.Contains($"run '{Name}' was left running by process {pid}, which has ended: marked interrupted", list.StderrUnwrapped);
        Assert.Contains("interrupted", list.Stdout);
        AssertSettled("interrupted");
        Assert.Equal($"process {pid} ended without finishing the run", (string?)RunJson["error"]);
        Assert.NotNull(RunJson["finished_utc"]);

        var again = CliRunner.Run("train", "--config", Config(), "--runs-dir", _ws.RunsDir);
        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Contains("already exists (interrupted", again.StderrUnwrapped);
        Assert.Contains("--overwrite", again.StderrUnwrapped);

        // Redo it, quickly (one C, no folds): the split is reused, the interrupted row becomes overwritten.
        var redo = CliRunner.Run("train", "--config", Config(), "--runs-dir", _ws.RunsDir, "--overwrite", "--no-report",
            "--set", "linear.search.grid.C=[1]", "--set", "linear.search.cv=0");
        Assert.True(redo.ExitCode == 0, redo.ToString());
        Assert.Contains("reusing the saved ids", redo.StderrUnwrapped);
        AssertSettled("completed");
        Assert.Equal(["overwritten", "completed"], LedgerRows().Select(r => r.Status));
    }

    [Fact]
    public void Killed_during_the_grid_search_the_report_command_shows_it_interrupted()
    {
        if (!Linux) return;
        var seen = Stopwatch.StartNew();
        bool running = false;
        var (_, pid) = TrainAndStopWhen(() =>
        {
            if (!running && RunJsonSays("running")) { running = true; seen.Restart(); }
            // Past tf-idf (a fraction of a second) and before the search table or a model exists: the grid search.
            return running && seen.ElapsedMilliseconds > 600 && InGridSearch;
        }, Sigkill);

        var report = CliRunner.Ok("report", RunDir);
        Assert.Contains($"left running by process {pid}", report.StderrUnwrapped);
        AssertSettled("interrupted");
        Assert.Contains("interrupted", File.ReadAllText(Path.Combine(RunDir, "summary_report.txt")));
        Assert.Contains("interrupted", File.ReadAllText(Path.Combine(RunDir, "report.html")));
        Assert.False(Directory.Exists(Path.Combine(RunDir, "model")));
    }

    [Fact]
    public void Sigterm_during_the_grid_search_cancels_like_ctrl_c_and_exits_143()
    {
        if (!Linux) return;
        var seen = Stopwatch.StartNew();
        bool running = false;
        var (stopped, _) = TrainAndStopWhen(() =>
        {
            if (!running && RunJsonSays("running")) { running = true; seen.Restart(); }
            return running && seen.ElapsedMilliseconds > 600 && InGridSearch;
        }, Sigterm);

        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        Assert.Contains("SIGTERM", stopped.StderrUnwrapped);
        AssertSettled("cancelled");   // recorded by the process itself: nothing to recover
        Assert.Contains("cancelled", CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir).Stdout);
    }

    [Fact]
    public void Killed_while_writing_the_report_the_run_stays_completed_and_report_writes_it_again()
    {
        if (!Linux) return;
        // The charts are drawn in memory first, then saved into plots/ (atomically, in parallel), then report.html: kill
        // while they are being saved, so that the process leaves temporary files behind.
        var (_, pid) = TrainAndStopWhen(() => Directory.Exists(Path.Combine(RunDir, "plots")) && !File.Exists(Path.Combine(RunDir, "report.html")), Sigkill);
        Assert.Equal("completed", Status);   // model, metrics and ledger were final before the report started

        var list = CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir);
        Assert.Contains($"process {pid} ended while writing its report", list.StderrUnwrapped);
        AssertSettled("completed");

        CliRunner.Ok("report", RunDir);
        Assert.True(File.Exists(Path.Combine(RunDir, "report.html")));
        Assert.True(File.Exists(Path.Combine(RunDir, "summary_report.txt")));
        AssertSettled("completed");
    }

    [Fact]
    public void Sigterm_while_writing_the_report_exits_143_with_the_run_completed()
    {
        if (!Linux) return;
        // Once run.json says completed the report is being drawn; SIGTERM is honoured at the next step (model card).
        var (stopped, _) = TrainAndStopWhen(() => RunJsonSays("completed") && !File.Exists(Path.Combine(RunDir, "report.html")), Sigterm);
        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        Assert.Contains("cancelled while writing the report; the run itself is complete", stopped.StderrUnwrapped);
        AssertSettled("completed");
    }
}
