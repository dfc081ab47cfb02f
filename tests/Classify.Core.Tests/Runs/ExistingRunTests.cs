using System.Text;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Runs;

/// <summary>What an experiment does with a run folder that already exists (refuse, overwrite keeping splits/, continue, locked).</summary>
public sealed class ExistingRunTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunsDir => Path.Combine(_dir.Path, "runs");
    private RunLayout Layout => new(Path.Combine(RunsDir, "nb"));

    private ExperimentConfig Config(double alpha = 1, string? resume = null)
    {
        var data = Path.Combine(_dir.Path, "reviews.csv");
        if (!File.Exists(data))
        {
            var sb = new StringBuilder("id,text,label\n");
            for (int i = 0; i < 80; i++) sb.Append($"r{i},{(i % 2 == 0 ? "good great" : "bad awful")} w{i % 7},{(i % 2 == 0 ? "pos" : "neg")}\n");
            File.WriteAllText(data, sb.ToString());
        }
        var section = new JsonObject { ["alpha"] = alpha };
        if (resume is not null) section["resume_from_checkpoint"] = resume == "true" ? JsonValue.Create(true) : JsonValue.Create(resume);
        return ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = "nb", ["runs_dir"] = RunsDir, ["engine"] = NaiveBayesTrainer.Name,
            ["data"] = new JsonObject { ["path"] = data, ["id_col"] = "id" }, [NaiveBayesTrainer.Name] = section,
        });
    }

    private ExperimentResult Run(ExistingRunPolicy policy = ExistingRunPolicy.Refuse, double alpha = 1) =>
        new Experiment(Config(alpha), new NaiveBayesTrainer()) { ExistingRun = policy }.Run();

    /// <summary>Every file of the runs folder with its bytes, to show that nothing changed.</summary>
    private Dictionary<string, string> Snapshot() => Directory.GetFiles(RunsDir, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(RunsDir, f), f => Convert.ToBase64String(File.ReadAllBytes(f)));

    private List<(string Status, string RunId)> LedgerRows()
    {
        using var ledger = Ledger.Open(Layout.LedgerDatabase);
        var runs = ledger.ReadRuns();
        return runs.Rows.Select(r => RunRecord.FromRow(runs, r)).Select(r => (r.Status, r.RunId)).ToList();
    }

    [Fact]
    public void A_second_run_of_the_same_name_is_refused_naming_overwrite_and_changes_nothing()
    {
        Run();
        var before = Snapshot();
        var e = Assert.Throws<InputException>(() => Run());
        Assert.Contains("run 'nb' already exists (completed", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(Layout.Root, e.File);
        Assert.Equal(before, Snapshot());
        Assert.Single(LedgerRows());
    }

    [Fact]
    public void Overwrite_replaces_everything_but_the_saved_split_and_marks_the_old_ledger_row()
    {
        var first = Run();
        var splits = Directory.GetFiles(Layout.SplitsDirectory).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var stale = Path.Combine(Layout.Root, "search", "grid.csv");   // e.g. left by an earlier run with a grid
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllText(stale, "rank\n1\n");

        var second = Run(ExistingRunPolicy.Overwrite, alpha: 0.5);

        Assert.False(File.Exists(stale));
        Assert.Equal(splits, Directory.GetFiles(Layout.SplitsDirectory).ToDictionary(f => Path.GetFileName(f), File.ReadAllText));
        Assert.Equal(second.Info.RunId, RunInfo.Load(Layout).RunId);
        Assert.Equal(RunStatus.Completed, RunInfo.Load(Layout).Status);
        Assert.Equal([(RunStatus.Overwritten, first.Info.RunId), (RunStatus.Completed, second.Info.RunId)], LedgerRows().OrderBy(r => r.Status == RunStatus.Completed));
        Assert.False(File.Exists(Layout.LockFile));
    }

    [Fact]
    public void A_folder_holding_only_a_saved_split_is_used_and_its_split_reused()
    {
        Run();
        var ids = File.ReadAllText(Layout.SplitIds("test"));
        foreach (var entry in Directory.GetFileSystemEntries(Layout.Root).Where(e => Path.GetFileName(e) != "splits"))
            if (Directory.Exists(entry)) Directory.Delete(entry, true); else File.Delete(entry);
        var log = new List<string>();
        new Experiment(Config(), new NaiveBayesTrainer()) { Log = log.Add }.Run();
        Assert.Contains(log, l => l.StartsWith("split: reusing", StringComparison.Ordinal));
        Assert.Equal(ids, File.ReadAllText(Layout.SplitIds("test")));
    }

    [Fact]
    public void A_folder_that_is_not_a_run_is_never_deleted_even_with_overwrite()
    {
        Directory.CreateDirectory(Layout.Root);
        File.WriteAllText(Path.Combine(Layout.Root, "notes.txt"), "mine");
        foreach (var policy in new[] { ExistingRunPolicy.Refuse, ExistingRunPolicy.Overwrite })
        {
            var e = Assert.Throws<InputException>(() => Run(policy));
            Assert.Contains("is not a Classify run", e.Message);
            Assert.Contains("notes.txt", e.Message);
        }
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(Layout.Root).Select(Path.GetFileName));
        Assert.False(File.Exists(Layout.LedgerDatabase));
    }

    [Fact]
    public void A_folder_another_writer_holds_is_refused_with_its_pid_whatever_the_policy()
    {
        Run();
        var before = Snapshot();
        using (RunLock.Acquire(Layout, "train"))
        {
            before = Snapshot();
            foreach (var policy in Enum.GetValues<ExistingRunPolicy>())
                Assert.Contains($"is being written by pid {Environment.ProcessId}", Assert.Throws<InputException>(() => Run(policy)).Message);
            Assert.Equal(before, Snapshot());
        }
    }

    [Fact]
    public void A_run_left_running_by_a_dead_process_is_marked_interrupted_and_can_be_overwritten()
    {
        if (!OperatingSystem.IsLinux()) return;
        var first = Run();
        var dead = RunLockTests.DeadPid();
        (RunInfo.Load(Layout) with { Status = RunStatus.Running, FinishedUtc = null }).Save(Layout);
        RunLockTests.WriteLock(Layout, dead, "proc:1", runId: first.Info.RunId);

        var e = Assert.Throws<InputException>(() => Run());
        Assert.Contains($"interrupted: process {dead} has ended", e.Message);

        var log = new List<string>();
        new Experiment(Config(), new NaiveBayesTrainer()) { ExistingRun = ExistingRunPolicy.Overwrite, Log = log.Add }.Run();
        Assert.Contains(log, l => l.Contains($"left running by process {dead}"));
        Assert.Contains((RunStatus.Overwritten, first.Info.RunId), LedgerRows());
        Assert.Equal(RunStatus.Completed, RunInfo.Load(Layout).Status);
    }

    [Fact]
    public void Continue_keeps_the_folder_and_resuming_from_this_runs_checkpoints_cannot_be_combined_with_overwrite()
    {
        Run();
        var kept = Path.Combine(Layout.Root, "checkpoints", "checkpoint-3", "state.json");
        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
        File.WriteAllText(kept, "{}");
        new Experiment(Config(), new NaiveBayesTrainer()) { ExistingRun = ExistingRunPolicy.Continue }.Run();
        Assert.True(File.Exists(kept));

        var e = Assert.Throws<InputException>(() =>
            new Experiment(Config(resume: "true"), new NaiveBayesTrainer()) { ExistingRun = ExistingRunPolicy.Overwrite }.Prepare());
        Assert.Equal("naive_bayes.resume_from_checkpoint", e.Field);
        Assert.Contains("--overwrite", e.Message);
        Assert.True(File.Exists(kept));
    }
}
