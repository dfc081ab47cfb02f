using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>decision.abstain</c> from the command line to every output: a linear model trained on a tweets slice with a
/// coverage target stores its threshold, and predict (table, JSON, CSV), eval and the run's predictions files abstain
/// on exactly the texts under it.
/// </summary>
public sealed class AbstainEndToEndTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    private static List<string[]> ReadCsv(string path)
    {
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(path) { Delimiters = [","], HasFieldsEnclosedInQuotes = true };
        var rows = new List<string[]>();
        while (!parser.EndOfData) rows.Add(parser.ReadFields()!);
        return rows;
    }

    private static double Number(JsonNode? node) => (double)node!;

    [Fact]
    public void A_coverage_target_is_fitted_on_validation_stored_and_applied_by_predict_and_eval()
    {
        var result = CliRunner.Ok("train", "--data", DataSlices.Tweets, "--label-col", "sentiment", "--id-col", "textID", "--name", "abstain",
            "--runs-dir", _ws.RunsDir, "--set", "linear.tfidf.max_features=3000", "--set", "decision.abstain.coverage=0.8");
        Assert.Contains("abstain: max_probability threshold", result.StderrUnwrapped);
        var runDir = Path.Combine(_ws.RunsDir, "abstain");
        var model = Path.Combine(runDir, "model");

        var manifest = ReadJson(Path.Combine(model, "classify.json"));
        Assert.Equal(3, (int)manifest["format_version"]!);
        var rule = manifest["abstain"]!;
        double threshold = Number(rule["threshold"]);
        Assert.Equal(0.8, Number(rule["coverage"]));
        Assert.InRange(Number(rule["validation_coverage"]), 0.8, 0.85);

        // Validation: the stored coverage is what the predictions file shows, and the metrics agree with it.
        var val = ReadCsv(Path.Combine(runDir, "predictions", "val.csv"));
        Assert.Equal("abstained", val[0][^1]);
        int[] probabilityColumns = Enumerable.Range(0, val[0].Length).Where(c => val[0][c].StartsWith("p_", StringComparison.Ordinal)).ToArray();
        double Confidence(string[] row) => probabilityColumns.Max(c => double.Parse(row[c], CultureInfo.InvariantCulture));
        var rows = val.Skip(1).ToArray();
        Assert.All(rows, r => Assert.Equal(Confidence(r) < threshold ? "true" : "false", r[^1]));
        double kept = rows.Count(r => r[^1] == "false");
        Assert.Equal(Number(rule["validation_coverage"]), kept / rows.Length, 12);
        var abstention = ReadJson(Path.Combine(runDir, "metrics", "val.json"))["abstention"]!;
        Assert.Equal(kept / rows.Length, Number(abstention["coverage"]), 12);
        Assert.Equal(Number(rule["validation_accuracy"]), Number(abstention["selective_accuracy"]), 12);
        Assert.Equal(rows.Count(r => r[^1] == "false" && r[2] == r[3]) / kept, Number(abstention["selective_accuracy"]), 12);
        Assert.NotNull(ReadJson(Path.Combine(runDir, "metrics", "test.json"))["abstention"]);
        Assert.True((bool)ReadJson(Path.Combine(runDir, "run.json"))["abstain"]!["reached"]!);
        // The report reads the predictions with their new column and shows the selective metrics; the model card the rule.
        Assert.Contains("abstention: selective_accuracy", File.ReadAllText(Path.Combine(runDir, "report.html")));
        Assert.Contains("abstains (no labels) when the max_probability confidence is below", File.ReadAllText(Path.Combine(model, "MODEL_CARD.md")));

        // predict: the same texts abstain as in the run's file, with no labels; --no-abstain gives the decision back.
        var abstainedText = rows.First(r => r[^1] == "true")[1];
        var keptText = rows.First(r => r[^1] == "false")[1];
        var lines = CliRunner.Ok("predict", "--model", model, "--format", "json", abstainedText, keptText).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.True((bool)lines[0]["abstained"]!);
        Assert.Empty(lines[0]["labels"]!.AsArray());
        Assert.Equal(3, lines[0]["probabilities"]!.AsObject().Count);
        Assert.False((bool)lines[1]["abstained"]!);
        Assert.Single(lines[1]["labels"]!.AsArray());
        var raw = JsonNode.Parse(CliRunner.Ok("predict", "--model", model, "--format", "json", "--no-abstain", abstainedText).Stdout.Trim())!;
        Assert.Null(raw["abstained"]);
        Assert.Single(raw["labels"]!.AsArray());
        Assert.Contains("abstained", CliRunner.Ok("predict", "--model", model, abstainedText).Stdout);

        // predict --input … --output FILE.csv: the abstained column, labels empty where it is true.
        var input = _ws.Write("input.csv", "text\n" + string.Join("\n", rows.Take(40).Select(r => "\"" + r[1].Replace("\"", "\"\"") + "\"")) + "\n");
        var scored = _ws.PathOf("scored.csv");
        CliRunner.Ok("predict", "--model", model, "--input", input, "--output", scored);
        var scoredRows = ReadCsv(scored);
        Assert.Equal("abstained", scoredRows[0][^1]);
        Assert.Equal(rows.Take(40).Select(r => r[^1]), scoredRows.Skip(1).Select(r => r[^1]));
        Assert.All(scoredRows.Skip(1), r => Assert.Equal(r[^1] == "true", r[2].Length == 0));

        // eval: metrics on every example plus the selective ones, and the abstained column.
        var evaluated = CliRunner.Ok("eval", "--model", model, "--data", DataSlices.TweetsTest, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "abstain-eval", "--runs-dir", _ws.RunsDir, "--no-report");
        Assert.Contains("selective accuracy", evaluated.Stdout);
        var evalDir = Path.Combine(_ws.RunsDir, "abstain-eval");
        var test = ReadJson(Path.Combine(evalDir, "metrics", "test.json"));
        Assert.Equal(300, (int)test["n"]!);
        var evalRows = ReadCsv(Path.Combine(evalDir, "predictions", "test.csv")).Skip(1).ToArray();
        Assert.Equal(evalRows.Count(r => r[^1] == "false"), (int)test["abstention"]!["kept"]!);
        Assert.InRange(Number(test["abstention"]!["coverage"]), 0.5, 1.0);
    }
}
