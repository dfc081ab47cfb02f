using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>Bad input to <c>predict</c> and <c>eval</c> with a real model: exit 2, a message naming the file or option, nothing written.</summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class ModelBadInputTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private void AssertInputError(CliResult result, params string[] mentions) => BadInputTests.AssertInputError(_ws, result, mentions);

    [Fact]
    public void Input_without_output_asks_for_output()
    {
        var input = _ws.Write("in.csv", "text\nhello\n");
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--input", input), "--output");
    }

    [Fact]
    public void Output_without_input_is_rejected()
    {
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--output", _ws.PathOf("out.csv"), "hello"), "--output");
        Assert.False(File.Exists(_ws.PathOf("out.csv")));
    }

    [Fact]
    public void Output_with_an_unknown_extension_is_rejected()
    {
        var input = _ws.Write("in.csv", "text\nhello\n");
        var output = _ws.PathOf("out.txt");
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--input", input, "--output", output), output, ".csv or .jsonl");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Binary_input_file_is_named_and_no_output_is_written()
    {
        var bytes = new byte[4096];
        new Random(5).NextBytes(bytes);
        var input = _ws.WriteBytes("in.csv", bytes);
        var output = _ws.PathOf("out.csv");
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--input", input, "--output", output), input, "binary");
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_ws.Root, "out.csv*"));   // no temp file left behind either
    }

    [Fact]
    public void Input_without_the_text_column_lists_the_columns()
    {
        var input = _ws.Write("in.csv", "id,tweet\n1,hello\n");
        var output = _ws.PathOf("out.csv");
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--input", input, "--output", output), input, "'text'", "tweet");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Ragged_row_deep_in_the_input_fails_without_a_partial_output()
    {
        var rows = Enumerable.Range(1, 500).Select(i => $"{i},tweet number {i}").ToList();
        rows[399] = "400,tweet, with an unquoted comma";   // line 401 (the header is line 1)
        var input = _ws.Write("in.csv", "id,text\n" + string.Join("\n", rows) + "\n");
        var output = _ws.PathOf("out.csv");
        AssertInputError(CliRunner.Run("predict", "--model", model.ModelDir, "--input", input, "--output", output, "--batch-size", "32"), $"{input}:401");
        Assert.False(File.Exists(output), "the output appears only when every row is scored");
    }

    [Fact]
    public void Eval_data_with_a_label_the_model_does_not_know_names_it()
    {
        var data = _ws.Write("labelled.csv", "text,sentiment\nI love it,positive\nmeh,neutral\nawful,furious\n");
        var result = CliRunner.Run("eval", "--model", model.ModelDir, "--data", data, "--label-col", "sentiment", "--name", "bad", "--runs-dir", _ws.RunsDir);
        AssertInputError(result, $"{data}:4", "'furious'");
    }

    [Fact]
    public void Eval_data_without_the_label_column_lists_the_columns()
    {
        var data = _ws.Write("labelled.csv", "text,sentiment\nI love it,positive\n");
        var result = CliRunner.Run("eval", "--model", model.ModelDir, "--data", data, "--name", "bad", "--runs-dir", _ws.RunsDir);
        AssertInputError(result, data, "'label'", "sentiment");
    }

    [Fact]
    public void Predict_without_texts_or_input_explains_the_three_ways()
    {
        var result = CliRunner.RunProcess(["predict", "--model", model.ModelDir], stdin: "");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--input", result.Stderr.Replace("\n", ""));
    }
}
