using System.Text;
using System.Text.Json;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Prediction;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>A small linear model (400 tweets, the zero-config recipe) trained once for <see cref="ShardedPredictTests"/>.</summary>
public sealed class ShardModel : IDisposable
{
    public ShardModel()
    {
        Workspace = new Workspace();
        Train = CliRunner.Run("train", "--data", DataSlices.Tweets400, "--label-col", "sentiment", "--id-col", "textID",
            "--name", "shard", "--runs-dir", Workspace.RunsDir, "--no-report", "--set", "linear.tfidf.max_features=3000");
    }

    internal Workspace Workspace { get; }
    internal CliResult Train { get; }
    internal string ModelDir => Path.Combine(Workspace.RunsDir, "shard", "model");

    public void Dispose() => Workspace.Dispose();
}

/// <summary>
/// <c>predict --input FILE --shard i/n</c> (issue 14 item 6): the outputs of shards 0 … n−1, concatenated in order, are
/// byte for byte what one process writes — in process and as n concurrent <c>classify</c> processes — for CSV (quoted
/// multi-line fields), TSV and JSONL inputs and CSV/JSONL outputs; bad <c>--shard</c> values exit 2 and write nothing.
/// </summary>
public sealed class ShardedPredictTests(ShardModel model) : IClassFixture<ShardModel>, IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private string Model
    {
        get
        {
            Assert.True(model.Train.ExitCode == 0, model.Train.ToString());
            return model.ModelDir;
        }
    }

    /// <summary>Tweets plus awkward rows: multi-line quoted text, quotes, commas, tabs, an empty text, non-ASCII.</summary>
    private static List<(string Id, string Text)> Rows(int tweets)
    {
        var rows = DataSlices.TweetRows(tweets).Select(t => (t.Id, t.Text)).ToList();
        var awkward = new (string, string)[]
        {
            ("ml-1", "first line\nsecond line of the same tweet\nthird, with a comma"),
            ("q-1", "she said \"never again\" and left"),
            ("ml-2", "windows\r\nline end inside \"quotes\"\n"),
            ("tab-1", "a\ttab and, a comma"),
            ("empty", ""),
            ("uni-1", "naïve café — 😀 lovely"),
        };
        for (int i = 0; i < awkward.Length; i++) rows.Insert(Math.Min(rows.Count, 1 + i * 7), awkward[i]);
        return rows;
    }

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";

    private string WriteInput(string name, IReadOnlyList<(string Id, string Text)> rows)
    {
        var sb = new StringBuilder();
        switch (Path.GetExtension(name))
        {
            case ".csv":
                sb.Append("textID,text\n");
                foreach (var (id, text) in rows) sb.Append(id).Append(',').Append(Quote(text)).Append('\n');
                break;
            case ".tsv":
                sb.Append("textID\ttext\n");
                foreach (var (id, text) in rows) sb.Append(id).Append('\t').Append(Quote(text)).Append('\n');
                break;
            default:
                foreach (var (id, text) in rows) sb.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["textID"] = id, ["text"] = text })).Append('\n');
                break;
        }
        return _ws.Write(name, sb.ToString());
    }

    private string[] Predict(string input, string output, params string[] extra) =>
        ["predict", "--model", Model, "--input", input, "--output", output, "--batch-size", "8", .. extra];

    /// <summary>Runs shards 0 … n−1 in this process; returns each part's bytes (every part file must exist, even empty).</summary>
    private List<byte[]> RunShards(string input, string outputExt, int n, params string[] extra)
    {
        var parts = new List<byte[]>();
        for (int i = 0; i < n; i++)
        {
            var part = _ws.PathOf($"out-{n}", $"part-{i}{outputExt}");
            CliRunner.Ok(Predict(input, part, ["--shard", $"{i}/{n}", .. extra]));
            parts.Add(File.ReadAllBytes(part));
        }
        return parts;
    }

    private static byte[] Concat(IEnumerable<byte[]> parts) => parts.SelectMany(p => p).ToArray();

    [Theory]
    [InlineData("in.csv", ".csv", 1)]
    [InlineData("in.csv", ".csv", 2)]
    [InlineData("in.csv", ".csv", 3)]
    [InlineData("in.csv", ".csv", 7)]
    [InlineData("in.csv", ".jsonl", 3)]
    [InlineData("in.tsv", ".csv", 2)]
    [InlineData("in.tsv", ".csv", 7)]
    [InlineData("in.jsonl", ".csv", 3)]
    [InlineData("in.jsonl", ".jsonl", 7)]
    public void Shards_concatenated_equal_the_single_run_byte_for_byte(string inputName, string outputExt, int n)
    {
        var input = WriteInput(inputName, Rows(40));
        var whole = _ws.PathOf("whole" + outputExt);
        CliRunner.Ok(Predict(input, whole, "--id-col", "textID"));
        var parts = RunShards(input, outputExt, n, "--id-col", "textID");
        Assert.Equal(File.ReadAllBytes(whole), Concat(parts));
        Assert.True(parts[0].Length > 0);
    }

    [Fact]
    public void Shards_are_contiguous_balanced_and_keep_whole_file_row_numbers()
    {
        var rows = Rows(40);   // 46 rows
        var input = WriteInput("in.csv", rows);
        var parts = RunShards(input, ".jsonl", 7);   // no --id-col: ids are row numbers, which must stay the file's
        var ids = parts.Select(p => Encoding.UTF8.GetString(p).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToArray()).ToArray();
        var sizes = ids.Select(p => p.Length).ToArray();
        Assert.Equal(rows.Count, sizes.Sum());
        Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(",", sizes));
        var whole = _ws.PathOf("whole.jsonl");
        CliRunner.Ok(Predict(input, whole));
        var wholeIds = File.ReadAllLines(whole).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToArray();
        Assert.Equal(wholeIds, ids.SelectMany(p => p));
        Assert.Equal(rows.Count, wholeIds.Distinct().Count());
        // The texts of the multi-line rows come through whole, in the shard that holds them.
        var texts = parts.SelectMany(p => Encoding.UTF8.GetString(p).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()).ToList();
        Assert.Contains(rows.Single(r => r.Id == "ml-1").Text, texts);
    }

    [Theory]
    [InlineData(3, 7)]   // shards with no rows: empty parts (shard 0 still writes the header)
    [InlineData(1, 2)]
    public void Fewer_rows_than_shards(int rowCount, int n)
    {
        var rows = new List<(string, string)>
        {
            ("a", "line one\nline two, \"quoted\"\nline three"),
            ("b", "so happy today"),
            ("c", "multi\n\nline with a blank line inside"),
        }.Take(rowCount).ToList();
        var input = WriteInput("few.csv", rows);
        var whole = _ws.PathOf("whole.csv");
        CliRunner.Ok(Predict(input, whole, "--id-col", "textID"));
        var parts = RunShards(input, ".csv", n, "--id-col", "textID");
        Assert.Equal(File.ReadAllBytes(whole), Concat(parts));
        // Here shard 0's range is empty: it writes the header alone.
        Assert.Equal(File.ReadAllLines(whole)[0], Encoding.UTF8.GetString(parts[0]).TrimEnd('\r', '\n'));
    }

    [Fact]
    public void A_file_one_process_refuses_is_refused_by_every_shard()
    {
        var input = WriteInput("empty.csv", []);   // a header and no rows
        var single = CliRunner.RunExpecting(2, Predict(input, _ws.PathOf("whole.csv")));
        for (int i = 0; i < 3; i++)
        {
            var part = _ws.PathOf($"part-{i}.csv");
            var shard = CliRunner.RunExpecting(2, Predict(input, part, "--shard", $"{i}/3"));
            Assert.Equal(single.Stderr, shard.Stderr);
            Assert.False(File.Exists(part));
        }
    }

    [Fact]
    public async Task Concurrent_processes_merged_equal_one_process()
    {
        const int n = 3;
        var input = WriteInput("in.csv", Rows(120));
        var whole = _ws.PathOf("whole.csv");
        var single = CliRunner.RunProcess(Predict(input, whole));
        Assert.True(single.ExitCode == 0, single.ToString());

        var outDir = _ws.PathOf("out");
        var runs = Enumerable.Range(0, n)
            .Select(i => Task.Run(() => CliRunner.RunProcess(Predict(input, Path.Combine(outDir, $"part-{i}.csv"), "--shard", $"{i}/{n}"))))
            .ToArray();
        foreach (var run in await Task.WhenAll(runs)) Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(File.ReadAllBytes(whole), Concat(Enumerable.Range(0, n).Select(i => File.ReadAllBytes(Path.Combine(outDir, $"part-{i}.csv")))));

        // The merge step of deploy/k8s/merge-job.yaml, run with sh on these parts, gives the same file.
        if (!File.Exists("/bin/sh")) return;
        var script = DeployManifestTests.MergeScript().Replace("$$", "$").Replace("/data/out", outDir);
        var merge = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", script])
        {
            Environment = { ["SHARDS"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardError = true, RedirectStandardOutput = true,
        })!;
        var mergeErr = merge.StandardError.ReadToEnd();
        merge.StandardOutput.ReadToEnd();
        merge.WaitForExit();
        Assert.True(merge.ExitCode == 0, mergeErr);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(Path.Combine(outDir, "scored.csv")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1/")]
    [InlineData("/2")]
    [InlineData("a/2")]
    [InlineData("1/b")]
    [InlineData("2/2")]
    [InlineData("5/2")]
    [InlineData("-1/2")]
    [InlineData("0/0")]
    [InlineData("1/0")]
    [InlineData("0/-1")]
    [InlineData("1/2/3")]
    [InlineData("+1/2")]
    [InlineData("1 /2")]
    [InlineData("1.0/2")]
    [InlineData("0/100001")]
    [InlineData("0/99999999999")]
    public void A_bad_shard_exits_2_and_writes_nothing(string shard)
    {
        var input = WriteInput("in.csv", Rows(5));
        var output = _ws.PathOf("out", "part.csv");
        var result = CliRunner.RunExpecting(2, Predict(input, output, "--shard", shard));
        Assert.Contains("--shard", result.StderrUnwrapped);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(_ws.PathOf("out")));
    }

    [Fact]
    public void A_bad_shard_is_reported_before_the_model_loads()
    {
        var input = WriteInput("in.csv", Rows(5));
        var output = _ws.PathOf("part.csv");
        var result = CliRunner.RunExpecting(2, "predict", "--model", _ws.PathOf("no-such-model"), "--input", input, "--output", output, "--shard", "4/4");
        Assert.Contains("--shard", result.StderrUnwrapped);
        Assert.DoesNotContain("no-such-model", result.StderrUnwrapped);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Shard_without_an_input_file_or_without_an_output_exits_2()
    {
        var texts = CliRunner.RunExpecting(2, "predict", "--model", Model, "--shard", "0/2", "what a lovely day");
        Assert.Contains("--shard goes with --input", texts.StderrUnwrapped);
        var input = WriteInput("in.csv", Rows(5));
        var noOutput = CliRunner.RunExpecting(2, "predict", "--model", Model, "--input", input, "--shard", "0/2");
        Assert.Contains("--output", noOutput.StderrUnwrapped);
        Assert.Equal(["in.csv"], Directory.GetFiles(_ws.Root).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(0L, 7)]
    [InlineData(3L, 7)]
    [InlineData(46L, 7)]
    [InlineData(1_000_000_007L, 13)]
    [InlineData(long.MaxValue / 2, 99_999)]
    public void Ranges_tile_the_rows(long rows, int n)
    {
        long next = 0;
        for (int i = 0; i < n; i++)
        {
            var (start, end) = new FileShard(i, n).RangeOf(rows);
            Assert.Equal(next, start);
            Assert.True(end >= start);
            Assert.True(end - start <= rows / n + 1);
            next = end;
        }
        Assert.Equal(rows, next);
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    [InlineData(" 2/7 ", 2, 7)]
    [InlineData("007/10", 7, 10)]
    public void Shard_specs_parse(string text, int index, int count) => Assert.Equal(new FileShard(index, count), FileShard.Parse(text));
}

/// <summary>
/// Shards of a conversation file scored by a context model (two preceding turns, speaker tags): a shard boundary
/// inside a conversation keeps the earlier turns as context, and Monte-Carlo dropout with a seed gives the same rows
/// whichever shard scores them — the concatenation is the single run's file byte for byte.
/// </summary>
public sealed class ShardedContextTests(ContextTransformer model) : IClassFixture<ContextTransformer>, IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public void Context_and_dropout_rows_do_not_depend_on_the_shard(int n)
    {
        Assert.True(model.Train.ExitCode == 0, model.Train.ToString());
        // 150 rows of the first conversations: shard boundaries fall inside conversations.
        var source = Classify.Core.Data.CsvTable.Read(DataSlices.AnnoMiConversations);
        var input = _ws.PathOf("conv.csv");
        using (var writer = new StreamWriter(input, false, new UTF8Encoding(false)))
        {
            var csv = new Classify.Core.IO.CsvWriter(writer);
            csv.WriteRow(source.Header);
            foreach (var row in source.Rows.Take(150)) csv.WriteRow(Enumerable.Range(0, row.Count).Select(i => row[i]));
        }
        string[] Args(string output, params string[] extra) =>
            ["predict", "--model", model.ModelDir, "--input", input, "--text-col", "utterance_text", "--output", output,
             "--mc-samples", "3", "--seed", "11", "--batch-size", "16", .. extra];
        var whole = _ws.PathOf("whole.csv");
        CliRunner.Ok(Args(whole));
        var parts = new List<byte>();
        for (int i = 0; i < n; i++)
        {
            var part = _ws.PathOf($"part-{n}-{i}.csv");
            CliRunner.Ok(Args(part, "--shard", $"{i}/{n}"));
            parts.AddRange(File.ReadAllBytes(part));
        }
        Assert.Equal(File.ReadAllBytes(whole), parts.ToArray());
    }
}
