using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// Bad input tried as a new user would: each case must exit with code 2, print one clear message on standard error
/// that names the file (and the line or field where there is one), and leave no run folder behind.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private const string GoodRows = "1,I love this,positive\n2,I hate this,negative\n3,it is a chair,neutral\n4,so happy today,positive\n";

    private CliResult Train(string data, params string[] extra) =>
        CliRunner.Run(["train", "--data", data, "--label-col", "sentiment", "--id-col", "id", "--name", "bad", "--runs-dir", _ws.RunsDir, .. extra]);

    /// <summary>Exit 2, an "error:" line mentioning every one of <paramref name="mentions"/>, no stack trace, no run folder.</summary>
    private void AssertInputError(CliResult result, params string[] mentions) => AssertInputError(_ws, result, mentions);

    /// <summary>The same check for any workspace (used by the tests that need a trained model).</summary>
    private const string TinyTweetRows = "1,I love this,positive\n2,I hate this,negative\n3,it is a chair,neutral\n4,so happy today,positive\n" +
                                         "5,this is awful,negative\n6,a table,neutral\n7,great stuff,positive\n8,terrible day,negative\n";

    /// <summary>
    /// config.yaml in <paramref name="ws"/> over eight labelled tweets (id, text, sentiment): the data section on lines
    /// 2–5, <paramref name="split"/> on line 6, <paramref name="sections"/> from line 7 (indentation as written).
    /// </summary>
    internal static string TinyTweetConfig(Workspace ws, string split, string sections) => ws.Write("config.yaml",
        $"name: bad\ndata:\n  path: {ws.Write("tweets.csv", "id,text,sentiment\n" + TinyTweetRows)}\n  label_col: sentiment\n  id_col: id\n{split}\n{sections}");

    internal static void AssertInputError(Workspace ws, CliResult result, params string[] mentions)
    {
        Assert.True(result.ExitCode == 2, $"expected exit 2 (bad input), got {result}");
        Assert.Contains("error:", result.Stderr);
        foreach (var m in mentions)
            Assert.True(result.StderrUnwrapped.Contains(m, StringComparison.Ordinal), $"the message should mention '{m}':\n{result.Stderr}");
        Assert.DoesNotContain("   at ", result.Stderr);   // a message, not a stack trace
        Assert.False(ws.AnyRunFolder, $"a run folder was created for bad input: {string.Join(", ", Directory.Exists(ws.RunsDir) ? Directory.GetDirectories(ws.RunsDir) : Array.Empty<string>())}");
    }

    [Theory]
    [InlineData("'abc'", "--k", "suggest", "--model", "m", "--input", "x.csv", "--k", "abc")]
    [InlineData("--runs-dir", "--runs-dir", "train", "--runs-dir")]
    [InlineData("'--bogus'", "classify runs list --help", "runs", "list", "--bogus")]
    [InlineData("'--model' is required", "classify predict --help", "predict", "hello")]
    public void Arguments_the_parser_refuses_are_bad_input_with_one_line_each_and_no_help_page(string problem, string hint, params string[] args)
    {
        var result = CliRunner.Run(args);
        AssertInputError(result, problem, hint);
        Assert.DoesNotContain("Usage:", result.Stdout + result.Stderr);
    }

    [Fact]
    public void Missing_text_column_lists_the_available_columns()
    {
        var data = _ws.Write("tweets.csv", "id,tweet,sentiment\n" + GoodRows);
        AssertInputError(Train(data), data, "'text'", "available columns", "tweet", "sentiment");
    }

    [Fact]
    public void Missing_label_column_is_named()
    {
        var data = _ws.Write("tweets.csv", "id,text,sentiment\n" + GoodRows);
        var result = CliRunner.Run("train", "--data", data, "--label-col", "mood", "--name", "bad", "--runs-dir", _ws.RunsDir);
        AssertInputError(result, data, "'mood'", "available columns");
    }

    [Fact]
    public void Ragged_csv_row_names_the_line()
    {
        // Line 4 (header is line 1) has an unquoted comma in the text: four fields instead of three.
        var data = _ws.Write("tweets.csv", "id,text,sentiment\n1,I love this,positive\n2,I hate this,negative\n3,well, it is a chair,neutral\n4,so happy,positive\n");
        AssertInputError(Train(data), $"{data}:4", "expected 3 fields", "found 4");
    }

    [Fact]
    public void Unknown_label_in_a_multilabel_list_names_the_value_and_the_line()
    {
        var data = _ws.Write("emotions.csv", "id,text,label\na1,so funny,\"amusement,joy\"\na2,thank you so much,gratitude\na3,I am scared,\"fear,happyness\"\n");
        var result = CliRunner.Run("train", "--data", data, "--multilabel", "--labels-file", DataSlices.EmotionsFile, "--id-col", "id",
            "--name", "bad", "--runs-dir", _ws.RunsDir);
        AssertInputError(result, $"{data}:4", "'happyness'", "label");
    }

    [Fact]
    public void Empty_file_is_named()
    {
        var data = _ws.Write("empty.csv", "");
        AssertInputError(Train(data), data, "empty");
    }

    [Fact]
    public void Header_without_rows_is_named()
    {
        var data = _ws.Write("header-only.csv", "id,text,sentiment\n");
        AssertInputError(Train(data), data, "no data rows");
    }

    [Fact]
    public void Random_bytes_are_reported_as_binary()
    {
        var bytes = new byte[8192];
        new Random(1234).NextBytes(bytes);
        var data = _ws.WriteBytes("garbage.csv", bytes);
        AssertInputError(Train(data), data, "binary");
    }

    [Fact]
    public void Random_bytes_without_nul_are_reported_as_binary()
    {
        var bytes = new byte[8192];
        new Random(99).NextBytes(bytes);
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 0) bytes[i] = 1;
        var data = _ws.WriteBytes("garbage.jsonl", bytes);
        AssertInputError(Train(data), data, "binary");
    }

    [Fact]
    public void Png_image_renamed_to_csv_is_reported_as_binary()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0];
        var data = _ws.WriteBytes("photo.csv", png);
        AssertInputError(Train(data), data, "PNG");
    }

    [Fact]
    public void Nonexistent_data_file_is_named()
    {
        var data = _ws.PathOf("no-such-file.csv");
        AssertInputError(Train(data), data, "not found");
    }

    private string WriteConfig(string body) => _ws.Write("config.yaml", body);

    private string ValidData() => _ws.Write("tweets.csv", "id,text,sentiment\n" + GoodRows);

    [Fact]
    public void Unknown_config_key_is_named()
    {
        var config = WriteConfig($"""
            name: bad
            data:
              path: {ValidData()}
              text_colum: text
              label_col: sentiment
            """);
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), config, "data.text_colum", "unknown setting", "text_col");
    }

    [Fact]
    public void Unknown_top_level_config_key_is_named()
    {
        var config = WriteConfig($"""
            name: bad
            sed: 42
            data:
              path: {ValidData()}
              label_col: sentiment
            """);
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), config, "'sed'");
    }

    [Fact]
    public void Unknown_engine_config_key_is_named_before_the_run_folder_exists()
    {
        var config = WriteConfig($"""
            name: bad
            data:
              path: {ValidData()}
              label_col: sentiment
            linear:
              tfidf:
                min_dff: 2
            """);
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), config, "linear.tfidf", "min_dff");
    }

    [Fact]
    public void Unknown_set_override_key_is_named()
    {
        var result = Train(ValidData(), "--set", "data.lable_col=sentiment");
        AssertInputError(result, "data.lable_col");
    }

    [Fact]
    public void Config_yaml_syntax_error_names_the_line()
    {
        // Line 4 is indented one space less than its sibling: a classic hand-edit slip.
        var config = WriteConfig($"name: bad\ndata:\n  path: {ValidData()}\n label_col: sentiment\nseed: 1\n");
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), $"{config}:4", "invalid YAML");
    }

    [Fact]
    public void Config_with_an_unclosed_bracket_is_a_yaml_error()
    {
        var config = WriteConfig($"name: bad\ndata:\n  path: {ValidData()}\n  label_col: [sentiment\nseed: 1\n");
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), config, "invalid YAML");
    }

    [Fact]
    public void Error_message_stays_on_one_line_when_stderr_is_redirected()
    {
        var data = _ws.Write(Path.Combine("a-folder-with-a-rather-long-name", "and-a-long-file-name-too.csv"), "id,tweet,sentiment\n" + GoodRows);
        var result = CliRunner.RunProcess(["train", "--data", data, "--label-col", "sentiment", "--name", "bad", "--runs-dir", _ws.RunsDir]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(result.Stderr.Split('\n'), line => line.Contains(data) && line.Contains("available columns") && line.Contains("tweet"));
    }

    [Fact]
    public void Malformed_target_is_rejected_before_training()
    {
        AssertInputError(Train(ValidData(), "--target", "macro_f1~0.5"), "macro_f1~0.5", ">=");
    }

    [Fact]
    public void Nonexistent_config_file_is_named()
    {
        var config = _ws.PathOf("missing.yaml");
        AssertInputError(CliRunner.Run("train", "--config", config, "--runs-dir", _ws.RunsDir), config, "not found");
    }

    [Fact]
    public void Nonexistent_model_folder_is_named_by_predict()
    {
        var model = _ws.PathOf("runs", "nothing", "model");
        AssertInputError(CliRunner.Run("predict", "--model", model, "hello"), model, "model not found");
    }

    [Fact]
    public void Nonexistent_model_folder_is_named_by_eval_without_creating_a_run()
    {
        var model = _ws.PathOf("no-model");
        var result = CliRunner.Run("eval", "--model", model, "--data", ValidData(), "--label-col", "sentiment", "--name", "bad", "--runs-dir", _ws.RunsDir);
        AssertInputError(result, model, "--model");
    }

    [Fact]
    public void A_folder_that_is_not_a_model_is_named()
    {
        var folder = Directory.CreateDirectory(_ws.PathOf("not-a-model")).FullName;
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "hello");
        var result = CliRunner.Run("predict", "--model", folder, "hello");
        AssertInputError(result, folder);
    }
}
