using System.Globalization;
using Classify.Cli.Tests.BadInput;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;
using Classify.Core.Uncertainty;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>classify suggest</c> with the shared tweets model (linear) on 300 held-out tweets: the queue's columns and order,
/// strategies, reproducibility, the table, and bad input (exit 2, nothing written). One test runs the epistemic strategy
/// on a scratch transformer (random weights, dropout on) in a child process.
/// </summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class SuggestCommandTests(TrainedTweetsModel model) : IDisposable
{
    private static readonly string[] Labels = ["negative", "neutral", "positive"];
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static double D(string? s) => double.Parse(s!, CultureInfo.InvariantCulture);

    private static string?[] Cells(DataRecord r) => Enumerable.Range(0, r.Count).Select(i => r[i]).ToArray();

    private CliResult Suggest(params string[] args) =>
        CliRunner.Run(["suggest", "--model", model.ModelDir, "--input", DataSlices.TweetsTest, "--id-col", "textID", .. args]);

    [Fact]
    public void Entropy_queue_is_the_k_most_uncertain_tweets_with_ids_predictions_and_uncertainty()
    {
        var output = _ws.PathOf("queue.csv");
        var result = Suggest("--k", "25", "--output", output, "--batch-size", "16");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ranked 300 rows by entropy", result.StderrUnwrapped);
        var table = CsvTable.Read(output);
        Assert.Equal(["rank", "id", "text", "score", "labels", "predictive_entropy", "aleatoric", "epistemic", "margin", .. Labels.Select(l => "p_" + l)], table.Header);
        Assert.Equal(25, table.Rows.Count);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"{i}"), table.Column("rank"));
        var scores = table.Column("score").Select(D).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(scores, table.Column("predictive_entropy").Select(D));
        Assert.All(table.Column("epistemic"), e => Assert.Equal(0.0, D(e)));   // a linear model: one pass, all aleatoric

        // The ids and texts are the input's, and the 25 rows beat every row left out (compare with predict's probabilities).
        var input = CsvTable.Read(DataSlices.TweetsTest);
        var texts = input.Column("textID").Zip(input.Column("text")).ToDictionary(p => p.First, p => p.Second);
        foreach (var row in table.Rows.Select(Cells))
            Assert.Equal(texts[row[1]!], row[2] ?? "");
        var scored = _ws.PathOf("scored.csv");
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", DataSlices.TweetsTest, "--id-col", "textID", "--output", scored);
        var predicted = CsvTable.Read(scored);
        var probabilityColumns = Labels.Select(l => predicted.Header.IndexOf("p_" + l)).ToArray();
        Assert.DoesNotContain(-1, probabilityColumns);
        var all = predicted.Rows.Select(Cells)
            .Select(r => (Id: r[0]!, Entropy: Entropy.Categorical(probabilityColumns.Select(c => D(r[c])).ToArray()))).ToList();
        var expected = all.Select((x, i) => (x.Id, x.Entropy, i)).OrderByDescending(x => x.Entropy).ThenBy(x => x.i).Take(25).Select(x => x.Id);
        Assert.Equal(expected, table.Column("id"));
        foreach (var row in table.Rows.Select(Cells))
        {
            var p = row.Skip(9).Select(D).ToArray();
            Assert.Equal(1.0, p.Sum(), 9);
            Assert.Equal(Labels[Array.IndexOf(p, p.Max())], row[4]);
        }
    }

    [Fact]
    public void Margin_queue_is_ordered_by_smallest_margin()
    {
        var output = _ws.PathOf("queue.csv");
        CliRunner.Ok("suggest", "--model", model.ModelDir, "--input", DataSlices.TweetsTest, "--k", "40", "--strategy", "margin", "--output", output);
        var table = CsvTable.Read(output);
        var scores = table.Column("score").Select(D).ToArray();
        Assert.Equal(40, scores.Length);
        Assert.Equal(scores.Order(), scores);
        Assert.Equal(scores, table.Column("margin").Select(D));
        foreach (var row in table.Rows.Select(Cells))
        {
            var top = row.Skip(9).Select(D).OrderDescending().ToArray();
            Assert.Equal(top[0] - top[1], D(row[3]), 12);
        }
        // Without an id column the id is the 1-based data row number.
        Assert.All(table.Column("id"), id => Assert.InRange(int.Parse(id, CultureInfo.InvariantCulture), 1, 300));
    }

    [Fact]
    public void Random_queue_is_reproducible_for_a_seed_and_changes_with_it()
    {
        string Run(string seed, string batch)
        {
            var output = _ws.PathOf($"random-{seed}-{batch}.csv");
            CliRunner.Ok("suggest", "--model", model.ModelDir, "--input", DataSlices.TweetsTest, "--k", "30", "--strategy", "random",
                "--seed", seed, "--batch-size", batch, "--output", output);
            return File.ReadAllText(output);
        }
        var a = Run("5", "256");
        Assert.Equal(a, Run("5", "256"));
        Assert.Equal(a, Run("5", "7"));
        Assert.NotEqual(a, Run("6", "256"));
    }

    [Fact]
    public void Equal_scores_keep_input_order()
    {
        // The same text five times among others: the copies tie and must come out in row order.
        var rows = new List<string> { "id,text" };
        for (int i = 0; i < 40; i++) rows.Add($"x{i},{(i % 8 == 3 ? "meh whatever" : $"I love this so much {i}")}");
        var input = _ws.Write("ties.csv", string.Join("\n", rows) + "\n");
        var output = _ws.PathOf("queue.csv");
        CliRunner.Ok("suggest", "--model", model.ModelDir, "--input", input, "--id-col", "id", "--k", "5", "--output", output);
        var table = CsvTable.Read(output);
        var ties = table.Rows.Select(Cells).Where(r => r[2] == "meh whatever").Select(r => r[1]).ToArray();
        Assert.NotEmpty(ties);
        Assert.Equal(new[] { "x3", "x11", "x19", "x27", "x35" }.Take(ties.Length), ties);
    }

    [Fact]
    public void Without_output_the_queue_is_printed_as_a_table()
    {
        var result = Suggest("--k", "4", "--strategy", "margin");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var column in new[] { "rank", "id", "text", "score", "prediction", "entropy", "epistemic", "margin" })
            Assert.Contains(column, result.Stdout);
        var queued = CsvTable.Read(DataSlices.TweetsTest).Column("textID").Count(id => result.Stdout.Contains(id, StringComparison.Ordinal));
        Assert.Equal(4, queued);
        Assert.Contains("ranked 300 rows by margin", result.StderrUnwrapped);
    }

    private void AssertInputError(CliResult result, params string[] mentions)
    {
        BadInputTests.AssertInputError(_ws, result, mentions);
        Assert.DoesNotContain(Directory.GetFiles(_ws.Root, "*.csv"), f => Path.GetFileName(f) != "in.csv");
    }

    [Theory]
    [InlineData("--strategy", "bald", "--strategy", "entropy, epistemic, margin or random")]
    [InlineData("--k", "0", "--k", "at least 1")]
    [InlineData("--mc-samples", "1", "--mc-samples", "between 2 and 10000")]
    [InlineData("--mc-samples", "100000", "--mc-samples", "between 2 and 10000")]
    [InlineData("--batch-size", "0", "--batch-size", "at least 1")]
    [InlineData("--mc-batch-size", "0", "--mc-batch-size", "at least 1")]
    [InlineData("--strategy", "epistemic", "--strategy", "no dropout")]
    [InlineData("--text-col", "tweet", "'tweet'", "available columns")]
    public void Bad_flags_exit_2_naming_the_flag_and_write_nothing(string flag, string value, string mention, string reason)
    {
        var input = _ws.Write("in.csv", "id,text\n1,hello there\n2,so sad today\n");
        var output = _ws.PathOf("queue.csv");
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--input", input, "--output", output, flag, value), mention, reason);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Epistemic_on_a_linear_model_suggests_entropy_or_margin()
    {
        var input = _ws.Write("in.csv", "text\nhello\n");
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--input", input, "--strategy", "epistemic"),
            "--strategy", "linear model has no dropout", "entropy or margin");
    }

    [Fact]
    public void A_missing_input_is_named()
    {
        var missing = _ws.PathOf("nope.csv");
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--input", missing, "--output", _ws.PathOf("queue.csv")), missing, "not found");
    }

    [Fact]
    public void No_input_flag_asks_for_it() =>
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--k", "5"), "--input", "unlabelled rows");

    [Fact]
    public void The_output_may_not_replace_the_input_nor_be_another_format()
    {
        var input = _ws.Write("in.csv", "text\nhello\n");
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--input", input, "--output", input), "--output", "replace the input");
        Assert.Equal("text\nhello\n", File.ReadAllText(input));
        var json = _ws.PathOf("queue.jsonl");
        AssertInputError(CliRunner.Run("suggest", "--model", model.ModelDir, "--input", input, "--output", json), "--output", ".csv");
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Epistemic_on_a_small_transformer_ranks_by_mutual_information_over_dropout_passes()
    {
        // A BERT-tiny from scratch, trained for a few steps (child process: the scratch model is cached in the workspace).
        var config = _ws.Write("tx.yaml", ScratchTransformer.Config("tx", maxSteps: 5));
        var train = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report"], timeout: TimeSpan.FromMinutes(3),
            environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") });
        Assert.True(train.ExitCode == 0, train.ToString());

        var output = _ws.PathOf("queue.csv");
        var result = CliRunner.Run("suggest", "--model", Path.Combine(_ws.RunsDir, "tx", "model"), "--input", DataSlices.TweetsTest, "--id-col", "textID",
            "--k", "10", "--strategy", "epistemic", "--mc-samples", "4", "--batch-size", "64", "--output", output);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("over 4 dropout passes", result.StderrUnwrapped);
        var table = CsvTable.Read(output);
        Assert.Equal(10, table.Rows.Count);
        var scores = table.Column("score").Select(D).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(scores, table.Column("epistemic").Select(D));
        Assert.True(scores[0] > 0, "dropout passes of a transformer disagree");
        foreach (var row in table.Rows.Select(Cells))
            Assert.Equal(D(row[5]), D(row[6]) + D(row[7]), 9);   // predictive = aleatoric + epistemic

        // Reproducible for a seed: the same passes, the same queue.
        var again = _ws.PathOf("again.csv");
        CliRunner.Ok("suggest", "--model", Path.Combine(_ws.RunsDir, "tx", "model"), "--input", DataSlices.TweetsTest, "--id-col", "textID",
            "--k", "10", "--strategy", "epistemic", "--mc-samples", "4", "--batch-size", "64", "--output", again);
        Assert.Equal(File.ReadAllText(output), File.ReadAllText(again));
    }
}
