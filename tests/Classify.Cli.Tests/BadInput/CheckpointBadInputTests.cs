using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// <c>classify predict --model</c> on tampered copies of the golden HF folders: each must exit with code 2 and one
/// message naming the file (and the key or tensor), never a native trace, and the huge configs must be refused before
/// anything they ask for is allocated.
/// </summary>
public sealed class CheckpointBadInputTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>A writable copy of a fixture folder (golden.json left out).</summary>
    private string Copy(string fixture)
    {
        var dir = _ws.PathOf(fixture);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(TestPaths.Fixture(fixture)))
        {
            if (Path.GetFileName(file) == "golden.json") continue;
            var target = Path.Combine(dir, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }
        return dir;
    }

    private static string EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>Rewrites the safetensors header of <paramref name="dir"/> (data section untouched, header re-padded to 8 bytes).</summary>
    private static string EditHeader(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        edit(header);
        var text = header.ToJsonString();
        text += new string(' ', (8 - text.Length % 8) % 8);
        var encoded = Encoding.UTF8.GetBytes(text);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)encoded.Length);
        File.WriteAllBytes(path, [.. prefix, .. encoded, .. bytes.AsSpan(8 + length)]);
        return path;
    }

    private static CliResult Predict(string dir) => CliRunner.Run("predict", "--model", dir, "I love this");

    /// <summary>Exit 2, one "error:" line naming everything in <paramref name="mentions"/>, no trace.</summary>
    private void AssertRefused(CliResult result, params string[] mentions)
    {
        BadInputTests.AssertInputError(_ws, result, mentions);
        Assert.Equal(1, result.Stderr.Split("error:").Length - 1);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("libtorch", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(result.Stdout.Trim());
    }

    [Fact]
    public void The_untampered_copy_predicts()
    {
        var result = CliRunner.Ok("predict", "--model", Copy("tiny-bert"), "I love this");
        Assert.Matches("negative|neutral|positive", result.Stdout);
    }

    [Fact]
    public void Weights_without_the_classifier_are_refused_listing_what_is_missing()
    {
        var dir = Copy("tiny-bert");
        var path = EditHeader(dir, h =>
        {
            // Rename rather than drop, so the data section still tiles: the model finds no classifier.* and two strangers.
            h["head.weight"] = h["classifier.weight"]!.DeepClone();
            h["head.bias"] = h["classifier.bias"]!.DeepClone();
            h.Remove("classifier.weight");
            h.Remove("classifier.bias");
        });
        AssertRefused(Predict(dir), path, "2 tensors the model needs are missing: classifier.weight, classifier.bias");
    }

    [Theory]
    [InlineData("vocab_size", 30_000_000L, "vocab_size is 30000000")]
    [InlineData("num_hidden_layers", 1_000_000L, "num_hidden_layers is 1000000")]
    public void Huge_sizes_beside_small_weights_are_refused_fast_in_little_memory(string key, long value, string expected)
    {
        var dir = Copy("tiny-bert");
        var config = EditConfig(dir, c => c[key] = value);
        long peak = 0;
        var clock = Stopwatch.StartNew();
        var result = CliRunner.RunProcess(["predict", "--model", dir, "I love this"], whileRunning: p =>
        {
            try { p.Refresh(); peak = Math.Max(peak, p.PeakWorkingSet64); }
            catch (InvalidOperationException) { }   // exited between the checks
        }, timeout: TimeSpan.FromMinutes(1));
        clock.Stop();
        AssertRefused(result, config, $"field '{key}'", expected);
        Console.WriteLine($"{key} {value}: exit {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.00} s (process start included), peak working set {peak >> 20} MB");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"refused after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(peak < 200L << 20, $"peak working set {peak >> 20} MB");
    }

    [Fact]
    public void A_hidden_size_of_a_billion_is_refused_without_a_native_trace()
    {
        var dir = Copy("tiny-bert");
        var config = EditConfig(dir, c => c["hidden_size"] = 1e9);
        AssertRefused(Predict(dir), config, "field 'hidden_size'", "hidden_size is 1000000000");
    }

    [Fact]
    public void A_vocabulary_size_the_weights_do_not_have_names_the_tensor()
    {
        var dir = Copy("tiny-roberta");
        EditConfig(dir, c => c["vocab_size"] = 1_500_000);
        AssertRefused(Predict(dir), Path.Combine(dir, "model.safetensors"), "roberta.embeddings.word_embeddings.weight",
            "config.json implies [1500000, 32] (vocab_size 1500000, hidden_size 32)");
    }

    [Fact]
    public void Heads_that_do_not_divide_the_hidden_size_are_named()
    {
        var dir = Copy("tiny-distilbert");
        var config = EditConfig(dir, c => c["n_heads"] = 3);
        AssertRefused(Predict(dir), config, "field 'n_heads'", "dim 32 is not a multiple of n_heads 3");
    }

    [Fact]
    public void A_vocabulary_file_with_ids_past_vocab_size_is_named()
    {
        var dir = Copy("tiny-bert");
        var vocab = Path.Combine(dir, "vocab.txt");
        File.AppendAllText(vocab, "zebra\nyak\n");
        AssertRefused(Predict(dir), vocab, "ids up to 1001 ('yak')", "vocab_size 1000");
    }

    [Theory]
    [InlineData("""{"0": "negative", "1": "negative", "2": "positive"}""", "names 'negative' twice")]
    [InlineData("""{"0": "negative", "x": "neutral", "2": "positive"}""", "id2label key 'x' is not an integer")]
    public void Bad_id2label_is_named(string id2label, string expected)
    {
        var dir = Copy("tiny-bert");
        var config = EditConfig(dir, c => c["id2label"] = JsonNode.Parse(id2label));
        AssertRefused(Predict(dir), config, "field 'id2label'", expected);
    }

    [Fact]
    public void Num_labels_disagreeing_with_id2label_is_named()
    {
        var dir = Copy("tiny-bert");
        var config = EditConfig(dir, c => c["num_labels"] = 5);
        AssertRefused(Predict(dir), config, "field 'num_labels'", "num_labels is 5 but id2label has 3 entries");
    }

    [Fact]
    public void Overlapping_tensors_in_the_header_are_refused()
    {
        var dir = Copy("tiny-bert");
        var path = EditHeader(dir, h =>
        {
            var offsets = h["classifier.bias"]!["data_offsets"]!.AsArray();
            var (begin, end) = (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
            h["classifier.bias"]!["data_offsets"] = new JsonArray(begin - 4, end - 4);
        });
        AssertRefused(Predict(dir), path, "overlap");
    }

    [Fact]
    public void A_header_claiming_offsets_past_the_end_of_the_file_is_refused()
    {
        // The last tensor claims a million more rows than the file holds (shape and offsets agree with each other).
        var dir = Copy("tiny-distilbert");
        var path = EditHeader(dir, h =>
        {
            var last = h.Where(kv => kv.Key != "__metadata__").MaxBy(kv => kv.Value!["data_offsets"]![1]!.GetValue<long>()).Value!;
            var begin = last["data_offsets"]![0]!.GetValue<long>();
            var shape = last["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            shape[0] += 1_000_000;
            last["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray());
            last["data_offsets"] = new JsonArray(begin, begin + 4 * shape.Aggregate(1L, (a, d) => a * d));
        });
        AssertRefused(Predict(dir), path, "the file holds only");
    }

    [Fact]
    public void Pickled_weights_are_refused_with_the_conversion_hint()
    {
        var dir = Copy("tiny-bert");
        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "pytorch_model.bin"));
        AssertRefused(Predict(dir), dir, "pytorch_model.bin", "pickle", "safe_serialization=True");
    }
}
