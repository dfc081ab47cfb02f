using System.Diagnostics;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Tests.Engine;
using Classify.Transformers.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>
/// Checkpoint folders from strangers: every tampered file is refused with an <see cref="InputException"/> naming the file
/// and the key or tensor, before anything the files do not justify is allocated, and never with a native error.
/// </summary>
public sealed class UntrustedCheckpointTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly TempDirectory _temp = new();

    public UntrustedCheckpointTests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A writable copy of a fixture's model files.</summary>
    private string Copy(string fixture, string? name = null)
    {
        var dir = _temp.Sub(name ?? fixture);
        GoldenInputs.CopyModelFiles(fixture, dir);
        foreach (var file in Directory.GetFiles(dir)) File.SetAttributes(file, FileAttributes.Normal);
        return dir;
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>Rewrites the weights, keeping the tensors <paramref name="keep"/> accepts and adding <paramref name="extra"/>.</summary>
    private static void RewriteWeights(string dir, Func<string, bool> keep, params SafeTensorsEntry[] extra)
    {
        var path = Path.Combine(dir, "model.safetensors");
        List<SafeTensorsEntry> entries;
        using (var source = SafeTensorsFile.Open(path))
            entries = source.Tensors.Values.Where(t => keep(t.Name))
                .Select(t => new SafeTensorsEntry(t.Name, t.DType, t.Shape, source.GetBytes(t.Name).ToArray())).ToList();
        File.Delete(path);
        SafeTensorsWriter.Write(path, [.. entries, .. extra]);
    }

    private static InputException Refused(Func<object?> load)
    {
        var e = Assert.Throws<InputException>(() =>
        {
            var loaded = load();
            (loaded as IDisposable)?.Dispose();
        });
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static TransformerPredictor Predictor(string dir, Action<string>? warn = null) =>
        TransformerPredictor.Load(dir, options: new TransformerPredictorOptions { Warn = warn ?? (_ => { }) });

    // ---- the plan is the model ------------------------------------------------------------------------------------------

    public static TheoryData<string> Configs => new()
    {
        "fixture:tiny-bert", "fixture:tiny-bert-multilabel", "fixture:tiny-roberta", "fixture:tiny-distilbert", "fixture:tiny-modernbert",
        "bert-tiny", "roberta-mini", "distilbert-tiny", "modernbert-tiny", "modernbert-mini",
        "modernbert-tiny+biases",
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void The_parameter_plan_lists_exactly_the_parameters_the_model_builds(string name)
    {
        PretrainedConfig config;
        if (name.StartsWith("fixture:", StringComparison.Ordinal)) config = PretrainedConfig.Load(TestPaths.Fixture(name["fixture:".Length..]));
        else
        {
            config = ScratchConfigs.Create(name.Split('+')[0]);
            config.SetLabels(["a", "b", "c", "d"]);
            if (name.EndsWith("+biases", StringComparison.Ordinal))
                foreach (var key in new[] { "attention_bias", "norm_bias", "mlp_bias", "classifier_bias" }) config.Json[key] = true;
        }
        var plan = ParameterPlan.For(config);
        using var model = AutoModelForSequenceClassification.Create(config);
        var built = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(built.Keys.Order(StringComparer.Ordinal), plan.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var p in plan.Parameters)
        {
            Assert.Equal(built[p.Name], p.Shape);
            Assert.Equal(model.IsHead(p.Name), p.IsHead);
        }
        Assert.Equal(built.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), plan.ElementCount);
    }

    // ---- missing and unexpected keys ----------------------------------------------------------------------------------

    [Fact]
    public void Weights_without_the_classifier_are_refused_for_prediction()
    {
        var dir = Copy("tiny-bert");
        RewriteWeights(dir, n => !n.StartsWith("classifier.", StringComparison.Ordinal));
        var e = Refused(() => Predictor(dir));
        Assert.Equal(Path.Combine(dir, "model.safetensors"), e.File);
        Assert.Contains("2 tensors the model needs are missing: classifier.weight, classifier.bias", e.Message);

        // The same weights are a base encoder for fine-tuning: the head is initialised, with HF's note.
        var notes = new List<string>();
        var start = ModelLoader.Load(dir, null, new LabelSchema(TaskKind.Binary, ["x", "y"]), seed: 1, notes.Add);
        start.Model.Dispose();
        var note = Assert.Single(notes);
        Assert.Contains("newly initialized: classifier.weight, classifier.bias", note);
    }

    [Fact]
    public void A_long_missing_list_is_cut_after_ten_names()
    {
        var dir = Copy("tiny-bert");
        RewriteWeights(dir, n => !n.Contains(".layer.1.", StringComparison.Ordinal) && !n.StartsWith("bert.embeddings.", StringComparison.Ordinal));
        var e = Refused(() => Predictor(dir));
        Assert.Contains("21 tensors the model needs are missing: bert.embeddings.word_embeddings.weight,", e.Message);
        Assert.EndsWith("and 11 more", e.Message);
    }

    [Fact]
    public void More_layers_than_the_weights_hold_are_named_as_such()
    {
        var dir = Copy("tiny-distilbert");
        EditConfig(dir, c => c["n_layers"] = 5);
        var e = Refused(() => Predictor(dir));
        Assert.Contains("48 tensors the model needs are missing", e.Message);
        Assert.Contains("(config.json sets n_layers 5 but the weights hold 2 layers)", e.Message);
    }

    [Fact]
    public void Unexpected_tensors_are_a_warning_and_prediction_goes_on()
    {
        var dir = Copy("tiny-roberta");
        RewriteWeights(dir, _ => true, SafeTensorsEntry.FromFloat32("lm_head.bias", [3], [1, 2, 3]),
            SafeTensorsEntry.FromInt64("roberta.embeddings.position_ids", [1, 4], [0, 1, 2, 3]));
        var warnings = new List<string>();
        using var predictor = Predictor(dir, warnings.Add);
        var warning = Assert.Single(warnings);
        Assert.Contains("1 tensor is not used by RobertaForSequenceClassification and was ignored: lm_head.bias", warning);
        Assert.Equal(3, predictor.PredictScores(["fine"])[0].Length);
    }

    [Fact]
    public void A_head_for_another_label_count_is_refused_for_prediction_and_replaced_for_training()
    {
        var dir = Copy("tiny-bert");
        EditConfig(dir, c => c["id2label"] = new JsonObject { ["0"] = "a", ["1"] = "b" });
        var e = Refused(() => Predictor(dir));
        Assert.Equal("classifier.weight", e.Field);
        Assert.Contains("tensor is [3, 32] but config.json implies [2, 32] (num_labels 2, hidden_size 32)", e.Message);

        var notes = new List<string>();
        var start = ModelLoader.Load(dir, null, new LabelSchema(TaskKind.Multiclass, ["x", "y", "z", "w"]), seed: 1, notes.Add);
        start.Model.Dispose();
        Assert.Contains(notes, n => n.Contains("because the shapes did not match: classifier.weight: found shape [3, 32] in the checkpoint and [4, 32] in the model"));
    }

    [Fact]
    public void Integer_weights_for_a_parameter_are_refused()
    {
        var dir = Copy("tiny-bert");
        RewriteWeights(dir, n => n != "classifier.bias", SafeTensorsEntry.FromInt64("classifier.bias", [3], [1, 2, 3]));
        var e = Refused(() => Predictor(dir));
        Assert.Equal("classifier.bias", e.Field);
        Assert.Contains("dtype I64", e.Message);
    }

    // ---- config sizes against the header, before allocation ----------------------------------------------------------

    [Theory]
    [InlineData("vocab_size", 30_000_000L, "vocab_size is 30000000; Classify allows at most 2000000")]
    [InlineData("num_hidden_layers", 1_000_000L, "num_hidden_layers is 1000000; Classify allows at most 256")]
    [InlineData("hidden_size", 1_000_000_000L, "hidden_size is 1000000000; Classify allows at most 16384")]
    [InlineData("intermediate_size", 70_000L, "intermediate_size is 70000; Classify allows at most 65536")]
    [InlineData("max_position_embeddings", 2_000_000L, "max_position_embeddings is 2000000; Classify allows at most 1048576")]
    [InlineData("vocab_size", -5L, "vocab_size is -5; it must be at least 1")]
    [InlineData("num_attention_heads", 5L, "hidden_size 32 is not a multiple of num_attention_heads 5")]
    [InlineData("num_attention_heads", 0L, "num_attention_heads is 0; it must be at least 1")]
    [InlineData("pad_token_id", 1000L, "pad_token_id is 1000; it must be an id of the vocabulary (vocab_size 1000)")]
    [InlineData("hidden_dropout_prob", 3L, "hidden_dropout_prob is 3; a dropout probability lies in [0, 1]")]
    public void Config_sizes_out_of_bounds_are_refused_in_milliseconds(string key, long value, string expected)
    {
        var dir = Copy("tiny-bert");
        EditConfig(dir, c => c[key] = value);
        var clock = Stopwatch.StartNew();
        var e = Refused(() => Predictor(dir));
        clock.Stop();
        Assert.Equal(Path.Combine(dir, "config.json"), e.File);
        Assert.Contains(expected, e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void A_vocabulary_inside_the_bounds_but_not_in_the_weights_is_refused_before_allocating()
    {
        // 1,900,000 × 32 floats would be 243 MB; the header says 1000 rows, so nothing is allocated.
        var dir = Copy("tiny-bert");
        EditConfig(dir, c => c["vocab_size"] = 1_900_000);
        var before = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        var e = Refused(() => Predictor(dir));
        clock.Stop();
        var grown = Environment.WorkingSet - before;
        _out.WriteLine($"refused in {clock.Elapsed.TotalMilliseconds:0} ms, working set +{grown >> 20} MB");
        Assert.Equal(Path.Combine(dir, "model.safetensors"), e.File);
        Assert.Equal("bert.embeddings.word_embeddings.weight", e.Field);
        Assert.Contains("tensor is [1000, 32] but config.json implies [1900000, 32] (vocab_size 1900000, hidden_size 32)", e.Message);
        Assert.True(grown < 100L << 20, $"working set grew by {grown >> 20} MB");
    }

    [Fact]
    public void A_config_without_weights_cannot_ask_for_terabytes()
    {
        // Each size within its own bound; together 256 × (3·16384² + 2·16384·65536) ≈ 7.6e11 parameters.
        var config = new BertConfig { NumHiddenLayers = 256, HiddenSize = 16384, NumAttentionHeads = 128, IntermediateSize = 65536 };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(() => AutoModelForSequenceClassification.FromConfig(config));
        Assert.Contains("Classify builds at most 2,000,000,000", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData("""{"0": "a", "1": "b"}""", 3, "num_labels is 3 but id2label has 2 entries")]
    [InlineData("""{"0": "a", "1": "a", "2": "b"}""", null, "id2label names 'a' twice (ids 0 and 1)")]
    [InlineData("""{"0": "a", "one": "b", "2": "c"}""", null, "id2label key 'one' is not an integer")]
    [InlineData("""{"0": "a", "1": "b", "5": "c"}""", null, "id2label ids must be 0…2, found 5")]
    [InlineData("""{"0": "a", "1": "b", "01": "c"}""", null, "id2label has two keys for id 1")]
    [InlineData("""{}""", null, "id2label is empty")]
    public void Inconsistent_labels_are_refused(string id2label, int? numLabels, string expected)
    {
        var dir = Copy("tiny-bert");
        EditConfig(dir, c =>
        {
            c["id2label"] = JsonNode.Parse(id2label);
            c.Remove("label2id");
            if (numLabels is { } n) c["num_labels"] = n;
        });
        var e = Refused(() => Predictor(dir));
        Assert.Equal(Path.Combine(dir, "config.json"), e.File);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("num_attention_heads", 8, "odd head size 1")]
    [InlineData("global_attn_every_n_layers", 0, "global_attn_every_n_layers is 0; it must be at least 1")]
    public void ModernBert_specific_sizes_are_checked(string key, int value, string expected)
    {
        var dir = Copy("tiny-modernbert");
        EditConfig(dir, c =>
        {
            c[key] = value;
            if (key == "num_attention_heads") c["hidden_size"] = 8;
        });
        var config = PretrainedConfig.Load(dir);
        var e = Assert.Throws<InputException>(() => AutoModelForSequenceClassification.FromPretrained(config, dir));
        Assert.Contains(expected, e.Message);
    }

    // ---- token ids and the embedding tables ---------------------------------------------------------------------------

    [Fact]
    public void A_vocabulary_with_more_ids_than_the_embedding_table_is_refused_at_load()
    {
        var dir = Copy("tiny-bert");
        File.AppendAllLines(Path.Combine(dir, "vocab.txt"), Enumerable.Range(0, 20).Select(i => $"extra{i}"));
        var e = Refused(() => Predictor(dir));
        Assert.Equal(Path.Combine(dir, "vocab.txt"), e.File);
        Assert.Contains("the tokenizer has ids up to 1019 ('extra19') but config.json sets vocab_size 1000", e.Message);

        var training = Refused(() => ModelLoader.Load(dir, null, new LabelSchema(TaskKind.Binary, ["x", "y"]), seed: 1).Model);
        Assert.Equal(Path.Combine(dir, "vocab.txt"), training.File);
    }

    [Fact]
    public void A_negative_token_id_in_a_bpe_vocabulary_is_refused()
    {
        var dir = Copy("tiny-roberta");
        var path = Path.Combine(dir, "vocab.json");
        var vocab = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        vocab["Ġfine"] = -3;
        File.WriteAllText(path, vocab.ToJsonString());
        var e = Refused(() => Predictor(dir));
        Assert.Equal(path, e.File);
        Assert.Contains("a token id must be a non-negative integer, found -3", e.Message);
    }

    [Fact]
    public void Ids_outside_the_embedding_tables_are_an_input_error_not_a_native_one()
    {
        using var model = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-bert"));
        model.eval();
        using var _ = no_grad();
        using var mask = ones(1, 3, dtype: ScalarType.Int64);
        foreach (var (ids, types, expected) in new (long[], long[]?, string)[]
                 {
                     ([2, 1000, 3], null, "token id 1000 has no row in the embedding table (vocab_size 1000)"),
                     ([2, -1, 3], null, "token id -1 has no row"),
                     ([2, 5, 3], [0, 2, 0], "token type id 2 has no row in the token type table (type_vocab_size 2)"),
                 })
        {
            using var input = tensor(ids, [1, 3]);
            using var typeIds = types is null ? null : tensor(types, [1, 3]);
            var e = Assert.Throws<InputException>(() => model.Forward(input, mask, typeIds).Logits.Dispose());
            Assert.Contains(expected, e.Message);
        }
        using var tooLong = zeros(1, 65, dtype: ScalarType.Int64);
        var length = Assert.Throws<InputException>(() => model.Forward(tooLong).Logits.Dispose());
        Assert.Contains("an input of 65 tokens is longer than the 64 positions the model embeds", length.Message);
    }

    // ---- weights file ------------------------------------------------------------------------------------------------

    [Fact]
    public void A_header_claiming_bytes_beyond_the_file_is_refused()
    {
        var dir = Copy("tiny-bert");
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4096]);
        var e = Refused(() => Predictor(dir));
        Assert.Equal(path, e.File);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Pickled_weights_stay_refused_with_the_conversion_hint()
    {
        var dir = Copy("tiny-distilbert");
        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "pytorch_model.bin"));
        var e = Refused(() => Predictor(dir));
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("safe_serialization=True", e.Message);
    }
}
