using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify eval</c>, <c>runs list</c>, <c>runs export</c>, <c>report</c> and <c>compare</c> around the shared tweets model.</summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class EvalRunsReportCompareTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>Evaluates the shared model on 300 held-out tweets and returns the eval run folder.</summary>
    private string Eval(string name)
    {
        CliRunner.Ok("eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", name, "--runs-dir", _ws.RunsDir);
        return Path.Combine(_ws.RunsDir, name);
    }

    [Fact]
    public void Eval_writes_a_run_folder_with_test_metrics_and_predictions()
    {
        var runDir = Eval("eval-heldout");
        var metrics = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "metrics", "test.json")))!;
        foreach (var key in RunFolderTests.SingleLabelMetricKeys) Assert.True(metrics.ContainsKey(key), key);
        Assert.Equal(300, (int)metrics["n"]!);
        Assert.InRange((double)metrics["macro_f1"]!, 0.4, 1.0);
        var predictions = CsvTable.Read(Path.Combine(runDir, "predictions", "test.csv"));
        Assert.Equal(new[] { "id", "text", "gold", "pred", "p_negative", "p_neutral", "p_positive" }, predictions.Header);
        Assert.Equal(300, predictions.Rows.Count);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!;
        Assert.Equal("completed", (string?)run["status"]);
        Assert.False(Directory.Exists(Path.Combine(runDir, "model")), "eval does not copy the model");
        Assert.True(File.Exists(Path.Combine(runDir, "summary_report.txt")));
        Assert.True(File.Exists(Path.Combine(runDir, "report.html")));
    }

    [Fact]
    public void Eval_refuses_the_name_of_an_existing_run_and_names_that_would_break_the_runs_folder()
    {
        string[] Args(string name, params string[] extra) =>
            ["eval", "--model", model.ModelDir, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID", "--name", name, .. extra];
        var runJson = Path.Combine(model.RunDir, "run.json");
        var before = File.ReadAllText(runJson);
        var files = Directory.GetFiles(model.RunDir, "*", SearchOption.AllDirectories).Length;

        var result = CliRunner.Run(Args(TrainedTweetsModel.RunName, "--runs-dir", model.RunsDir));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"run '{TrainedTweetsModel.RunName}' already exists (completed", result.StderrUnwrapped);
        Assert.Contains("--overwrite", result.StderrUnwrapped);
        Assert.Equal(before, File.ReadAllText(runJson));
        Assert.Equal(files, Directory.GetFiles(model.RunDir, "*", SearchOption.AllDirectories).Length);

        foreach (var bad in new[] { "ledger.db", "..", ".x", "a/b", new string('e', 300) })
            Classify.Cli.Tests.BadInput.BadInputTests.AssertInputError(_ws, CliRunner.Run(Args(bad, "--runs-dir", _ws.RunsDir)), "field '--name'");
        Assert.False(Directory.Exists(_ws.RunsDir));

        Eval("eval-twice");
        var again = CliRunner.Run(Args("eval-twice", "--runs-dir", _ws.RunsDir));
        Assert.Equal(2, again.ExitCode);
        CliRunner.Ok(Args("eval-twice", "--runs-dir", _ws.RunsDir, "--overwrite"));
        Assert.Equal("completed", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(_ws.RunsDir, "eval-twice", "run.json")))!["status"]);
    }

    [Fact]
    public void Runs_list_shows_every_run_of_the_ledger()
    {
        Eval("eval-a");
        Eval("eval-b");
        var list = CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir);
        Assert.Contains("2 run(s)", list.StderrUnwrapped);
        Assert.Contains("name", list.Stdout);
        Assert.Contains("1 run(s)", CliRunner.Ok("runs", "list", "--runs-dir", model.RunsDir).StderrUnwrapped);
    }

    [Fact]
    public void Runs_list_prints_whole_run_names_when_piped()
    {
        Eval("eval-with-a-descriptive-name");
        var list = CliRunner.RunProcess(["runs", "list", "--runs-dir", _ws.RunsDir]);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("eval-with-a-descriptive-name", list.Stdout);
        Assert.Contains("completed", list.Stdout);
    }

    [Fact]
    public void Runs_export_writes_the_three_tables_as_csv_and_a_workbook()
    {
        var csvDir = _ws.PathOf("ledger");
        var xlsx = _ws.PathOf("ledger.xlsx");
        CliRunner.Ok("runs", "export", "--runs-dir", model.RunsDir, "--csv", csvDir, "--xlsx", xlsx);
        var runs = CsvTable.Read(Path.Combine(csvDir, "runs.csv"));
        Assert.Contains("test_macro_f1", runs.Header);
        Assert.Contains(TrainedTweetsModel.RunName, runs.Column("name"));
        var trials = CsvTable.Read(Path.Combine(csvDir, "trials.csv"));
        Assert.Equal(2, trials.Rows.Count);   // the grid C: [0.5, 2]
        var perClass = CsvTable.Read(Path.Combine(csvDir, "per_class_metrics.csv"));
        Assert.Equal(6, perClass.Rows.Count);
        var bytes = File.ReadAllBytes(xlsx);
        Assert.True(bytes.Length > 1000 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K', "an .xlsx is a zip archive");
    }

    [Fact]
    public void Report_rewrites_the_html_report_and_checks_targets()
    {
        var html = Path.Combine(model.RunDir, "report.html");
        File.Delete(html);
        var result = CliRunner.RunExpecting(3, "report", model.RunDir, "--target", "test.macro_f1>=0.999", "--fail-on-target");
        Assert.True(File.Exists(html));
        Assert.Contains("not met", result.Stdout);
        CliRunner.Ok("report", model.RunDir, "--target", "test.macro_f1>=0.1", "--fail-on-target");
    }

    [Fact]
    public void Compare_writes_a_table_against_the_first_run()
    {
        var evalDir = Eval("eval-compare");
        var output = _ws.PathOf("comparison");
        var result = CliRunner.Ok("compare", model.RunDir, evalDir, "-o", output);
        foreach (var f in new[] { "comparison.csv", "comparison.xlsx", "comparison.html" })
            Assert.True(File.Exists(Path.Combine(output, f)), $"missing {f}");
        var table = CsvTable.Read(Path.Combine(output, "comparison.csv"));
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal(new[] { TrainedTweetsModel.RunName, "eval-compare" }, table.Rows.Select(r => r[0]));
        Assert.Contains("comparison", result.Stdout);
        Assert.Contains("test_macro_f1_change_pct", table.Header);
        Assert.False(string.IsNullOrEmpty(table.Column("test_macro_f1_change_pct").Last()), "the second run is compared with the first");
    }
}
