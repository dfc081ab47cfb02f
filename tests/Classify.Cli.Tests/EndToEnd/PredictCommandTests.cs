using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify predict</c> with the shared tweets model: arguments, JSON lines, files and standard input.</summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class PredictCommandTests(TrainedTweetsModel model) : IDisposable
{
    private static readonly string[] Labels = ["negative", "neutral", "positive"];
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Texts_as_arguments_print_a_table()
    {
        var result = CliRunner.Ok("predict", "--model", model.ModelDir, "What a lovely day", "worst service ever");
        Assert.Contains("lovely", result.Stdout);
        Assert.Contains("worst service", result.Stdout);
        foreach (var label in Labels) Assert.Contains(label, result.Stdout);   // one probability column per label
    }

    [Fact]
    public void Json_format_prints_one_object_per_line_with_text_labels_and_probabilities()
    {
        var result = CliRunner.Ok("predict", "--model", model.ModelDir, "--format", "json", "Happy birthday, love you", "I hate this, so sad", "I am at home");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(new[] { "Happy birthday, love you", "I hate this, so sad", "I am at home" }, lines.Select(l => (string?)JsonNode.Parse(l)!["text"]));
        foreach (var line in lines)
        {
            var o = JsonNode.Parse(line)!.AsObject();
            Assert.Equal(new[] { "labels", "probabilities", "text", "uncertainty" }, o.Select(kv => kv.Key).Order());
            var labels = o["labels"]!.AsArray().Select(n => (string?)n).ToArray();
            var probabilities = o["probabilities"]!.AsObject().ToDictionary(kv => kv.Key, kv => (double)kv.Value!);
            Assert.Equal(Labels, probabilities.Keys.Order());
            Assert.Equal(1.0, probabilities.Values.Sum(), 9);
            Assert.Equal(probabilities.MaxBy(kv => kv.Value).Key, Assert.Single(labels));
        }
        // Sentiment is actually learned, not just printed.
        Assert.Equal("positive", (string?)JsonNode.Parse(lines[0])!["labels"]![0]);
        Assert.Equal("negative", (string?)JsonNode.Parse(lines[1])!["labels"]![0]);
    }

    private string WriteInput(int rows)
    {
        var tweets = DataSlices.TweetRows(rows);
        var lines = new List<string> { "textID,text" };
        lines.AddRange(tweets.Select(t => $"{t.Id},\"{t.Text.Replace("\"", "\"\"")}\""));
        return _ws.Write("input.csv", string.Join("\n", lines) + "\n");
    }

    [Fact]
    public void Input_csv_to_output_csv_writes_one_row_per_input_row()
    {
        var input = WriteInput(120);
        var output = _ws.PathOf("scored.csv");
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", input, "--output", output, "--id-col", "textID", "--batch-size", "16");
        var table = CsvTable.Read(output);
        Assert.Equal(new[] { "id", "text", "labels", "p_negative", "p_neutral", "p_positive", "predictive_entropy", "aleatoric", "epistemic",
            "std_negative", "std_neutral", "std_positive" }, table.Header);
        Assert.Equal(120, table.Rows.Count);
        Assert.Equal(DataSlices.TweetRows(120).Select(t => t.Id), table.Column("id"));
        Assert.All(table.Rows, r => Assert.Contains(r[2], Labels));
        Assert.All(table.Rows, r => Assert.Equal(1.0, Enumerable.Range(3, Labels.Length).Sum(i => double.Parse(r[i]!, System.Globalization.CultureInfo.InvariantCulture)), 9));
    }

    [Fact]
    public void Input_csv_to_output_jsonl_writes_one_object_per_input_row()
    {
        var input = WriteInput(50);
        var output = _ws.PathOf("scored.jsonl");
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", input, "--output", output);
        var lines = File.ReadAllLines(output);
        Assert.Equal(50, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var o = JsonNode.Parse(lines[i])!.AsObject();
            Assert.Equal(new[] { "id", "labels", "probabilities", "text", "uncertainty" }, o.Select(kv => kv.Key).Order());
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)o["id"]);   // no --id-col: the row number
            Assert.Equal(1.0, o["probabilities"]!.AsObject().Sum(kv => (double)kv.Value!), 9);
        }
    }

    [Fact]
    public void Texts_on_standard_input_are_classified_one_per_line()
    {
        var result = CliRunner.RunProcess(["predict", "--model", model.ModelDir, "--format", "json"],
            stdin: "What a lovely day\n\nworst service ever\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "What a lovely day", "worst service ever" }, lines.Select(l => (string?)JsonNode.Parse(l)!["text"]));
    }
}
