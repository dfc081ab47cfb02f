using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Runs;
using Microsoft.Data.Sqlite;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// Run names and existing run folders: a second run of one name is refused (exit 2, nothing changed) unless
/// <c>--overwrite</c>; a folder being written is refused with the writer's pid; names that would break the runs folder
/// are refused; dedicated flags are literal text.
/// </summary>
public sealed class RunFolderRulesTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private CliResult Train(string name, params string[] extra) =>
        CliRunner.Run(["train", "--data", DataSlices.Tweets, "--label-col", "sentiment", "--id-col", "textID", "--name", name,
            "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.tfidf.max_features=5000", .. extra]);

    private Dictionary<string, string> Snapshot() => Directory.GetFiles(_ws.RunsDir, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(_ws.RunsDir, f), f => Convert.ToBase64String(File.ReadAllBytes(f)));

    private List<(string Name, string Status)> LedgerRows()
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(_ws.RunsDir, "ledger.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT name, status FROM runs ORDER BY created_utc";
        using var r = cmd.ExecuteReader();
        var rows = new List<(string, string)>();
        while (r.Read()) rows.Add((r.GetString(0), r.GetString(1)));
        return rows;
    }

    private static void AssertExit2(CliResult result, params string[] mentions)
    {
        Assert.True(result.ExitCode == 2, $"expected exit 2, got {result}");
        Assert.Contains("error:", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        foreach (var m in mentions) Assert.True(result.StderrUnwrapped.Contains(m, StringComparison.Ordinal), $"should mention '{m}':\n{result.Stderr}");
    }

    [Fact]
    public void Training_a_name_twice_is_refused_naming_overwrite_and_changes_nothing()
    {
        Assert.Equal(0, Train("base").ExitCode);
        var before = Snapshot();
        AssertExit2(Train("base"), "run 'base' already exists (completed", "--overwrite", Path.Combine(_ws.RunsDir, "base"));
        Assert.Equal(before, Snapshot());
        Assert.Equal([("base", "completed")], LedgerRows());
    }

    [Fact]
    public void Overwrite_replaces_the_run_keeps_its_split_and_marks_the_old_ledger_row()
    {
        Assert.Equal(0, Train("base", "--set", "linear.search.grid.C=[0.5,2]", "--set", "linear.search.cv=2").ExitCode);
        var runDir = Path.Combine(_ws.RunsDir, "base");
        Assert.True(File.Exists(Path.Combine(runDir, "search", "grid.csv")));
        var splits = Directory.GetFiles(Path.Combine(runDir, "splits")).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var firstId = (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!["run_id"];

        var second = Train("base", "--overwrite");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("overwriting run 'base' (completed)", second.StderrUnwrapped);
        Assert.False(File.Exists(Path.Combine(runDir, "search", "grid.csv")), "a file of the old run survived");
        Assert.Equal(splits, Directory.GetFiles(Path.Combine(runDir, "splits")).ToDictionary(f => Path.GetFileName(f), File.ReadAllText));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!;
        Assert.NotEqual(firstId, (string?)run["run_id"]);
        Assert.Null(run["best"]);
        Assert.Equal([("base", "overwritten"), ("base", "completed")], LedgerRows());
        Assert.False(File.Exists(Path.Combine(runDir, "run.lock")));
    }

    [Fact]
    public void A_run_folder_another_process_is_writing_is_refused_with_its_pid()
    {
        var layout = new RunLayout(Path.Combine(_ws.RunsDir, "busy"));
        using (RunLock.Acquire(layout, "train"))
        {
            AssertExit2(Train("busy"), $"run 'busy' is being written by pid {Environment.ProcessId}");
            AssertExit2(Train("busy", "--overwrite"), $"is being written by pid {Environment.ProcessId}");
            Assert.Equal(["run.lock"], Directory.GetFileSystemEntries(layout.Root).Select(Path.GetFileName));
        }
        Assert.False(File.Exists(Path.Combine(_ws.RunsDir, "ledger.db")));
    }

    public static TheoryData<string> BadNames => ["ledger.db", "ledger.db-wal", ".", "..", ".hidden", "a/b", "../escape", new string('n', 300)];

    [Theory]
    [MemberData(nameof(BadNames))]
    public void A_name_that_would_break_the_runs_folder_exits_2_and_writes_nothing(string name)
    {
        var result = Train(name);
        AssertExit2(result, "field 'name'");
        Assert.True(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, result.ToString());
        Assert.False(Directory.Exists(_ws.RunsDir), "nothing may be written for a bad name");
        Assert.False(Directory.Exists(_ws.PathOf("escape")));
    }

    [Fact]
    public void A_run_named_like_the_ledger_no_longer_breaks_later_runs()
    {
        AssertExit2(Train("ledger.db"), "ledger");
        Assert.Equal(0, Train("after").ExitCode);
        Assert.Equal([("after", "completed")], LedgerRows());
    }

    [Fact]
    public void Dedicated_flags_are_literal_text_not_yaml()
    {
        var data = _ws.PathOf("my data #1.csv");
        File.Copy(DataSlices.Tweets, data);
        foreach (var name in new[] { "exp #2", "&a x" })
        {
            var result = CliRunner.Run("train", "--data", data, "--label-col", "sentiment", "--id-col", "textID", "--name", name, "--seed", "7",
                "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.tfidf.max_features=5000");
            Assert.True(result.ExitCode == 0, result.ToString());
            var run = JsonNode.Parse(File.ReadAllText(Path.Combine(_ws.RunsDir, name, "run.json")))!;
            Assert.Equal(name, (string?)run["name"]);
            Assert.Equal(data, (string?)run["config"]!["data"]!["path"]);
            Assert.Equal(7, (int?)run["seed"]);
        }
        Assert.Equal(["&a x", "exp #2"], Directory.GetDirectories(_ws.RunsDir).Select(Path.GetFileName).Order());
        AssertExit2(Train("s", "--seed", "seven"), "field 'seed'");
    }
}
