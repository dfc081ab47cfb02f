using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tests.SafeTensors;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Configuration;

/// <summary><see cref="PretrainedConfig.Validate"/>, the tokenizer's ids and the vocabulary check of <see cref="ClassifierFolder"/>.</summary>
public class ConfigValidationTests
{
    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-bert-multilabel")]
    [InlineData("tiny-roberta")]
    [InlineData("tiny-distilbert")]
    [InlineData("tiny-modernbert")]
    public void Every_fixture_config_is_valid(string fixture) => PretrainedConfig.Load(TestPaths.Fixture(fixture)).Validate();

    [Fact]
    public void Every_scratch_preset_and_family_default_is_valid()
    {
        foreach (var name in ScratchConfigs.Names) ScratchConfigs.Create(name).Validate();
        new BertConfig().Validate();
        new RobertaConfig().Validate();
        new DistilBertConfig().Validate();
        new ModernBertConfig().Validate();
    }

    private static InputException Invalid(string json)
    {
        var config = PretrainedConfig.FromJson(JsonNode.Parse(json)!.AsObject(), "/models/x/config.json");
        var e = Assert.Throws<InputException>(config.Validate);
        Assert.Equal("/models/x/config.json", e.File);
        return e;
    }

    [Theory]
    [InlineData("""{"model_type": "distilbert", "n_layers": 300}""", "n_layers", "n_layers is 300; Classify allows at most 256")]
    [InlineData("""{"model_type": "distilbert", "dim": 100, "n_heads": 12}""", "n_heads", "dim 100 is not a multiple of n_heads 12")]
    [InlineData("""{"model_type": "distilbert", "hidden_dim": 0}""", "hidden_dim", "hidden_dim is 0; it must be at least 1")]
    [InlineData("""{"model_type": "roberta", "max_position_embeddings": 3, "pad_token_id": 1}""", "max_position_embeddings", "leaves 1 positions after padding_idx 1")]
    [InlineData("""{"model_type": "bert", "type_vocab_size": 5000}""", "type_vocab_size", "type_vocab_size is 5000; Classify allows at most 1024")]
    [InlineData("""{"model_type": "bert", "vocab_size": 1000.5}""", "vocab_size", "expected an integer, found 1000.5")]
    [InlineData("""{"model_type": "bert", "vocab_size": 1e12}""", "vocab_size", "expected an integer")]
    [InlineData("""{"model_type": "bert", "num_labels": 0}""", "num_labels", "num_labels is 0; it must be at least 1")]
    [InlineData("""{"model_type": "bert", "num_labels": 200000}""", "num_labels", "num_labels is 200000; Classify allows at most 100000")]
    [InlineData("""{"model_type": "bert", "id2label": ["a", "b"]}""", "id2label", "id2label must be an object")]
    [InlineData("""{"model_type": "modernbert", "local_rope_theta": 0}""", "local_rope_theta", "must be a positive number")]
    [InlineData("""{"model_type": "modernbert", "mlp_dropout": -0.5}""", "mlp_dropout", "a dropout probability lies in [0, 1]")]
    [InlineData("""{"model_type": "bert", "layer_norm_eps": -1}""", "layer_norm_eps", "it must be a finite number ≥ 0")]
    public void Bad_sizes_and_labels_name_the_key(string json, string key, string expected)
    {
        var e = Invalid(json);
        Assert.Equal(key, e.Field);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Hf_style_float_integers_and_a_null_num_labels_are_accepted()
    {
        PretrainedConfig.FromJson(JsonNode.Parse("""{"model_type": "bert", "vocab_size": 1000.0, "num_labels": null}""")!.AsObject()).Validate();
        // num_labels beside an id2label of the same size, as some hand-written configs have it.
        PretrainedConfig.FromJson(JsonNode.Parse("""{"model_type": "bert", "num_labels": 2, "id2label": {"0": "a", "1": "b"}}""")!.AsObject()).Validate();
    }

    // ---- tokenizer ids --------------------------------------------------------------------------------------------------

    private static string ModernBertTokenizerCopy(TempDir tmp)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.Shared, "tokenizers", "ModernBERT-base")))
            File.Copy(file, tmp.File(Path.GetFileName(file)));
        return tmp.File("tokenizer.json");
    }

    [Theory]
    [InlineData("-7", "model.vocab.hello", "found -7")]
    [InlineData("2.5", "model.vocab.hello", "found 2.5")]
    [InlineData("\"12\"", "model.vocab.hello", "found \"12\"")]
    [InlineData("4294967296", "model.vocab.hello", "found 4294967296")]
    public void Tokenizer_json_ids_must_be_non_negative_integers(string id, string field, string expected)
    {
        using var tmp = new TempDir();
        var path = ModernBertTokenizerCopy(tmp);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["model"]!["vocab"]!["hello"] = JsonNode.Parse(id);
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<InputException>(() => AutoTokenizer.FromPretrained(tmp.Path));
        Assert.Equal(path, e.File);
        Assert.Equal(field, e.Field);
        Assert.Contains("a token id must be a non-negative integer, " + expected, e.Message);
    }

    [Fact]
    public void Added_token_ids_must_be_non_negative_integers()
    {
        using var tmp = new TempDir();
        var path = ModernBertTokenizerCopy(tmp);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["added_tokens"]![0]!["id"] = -1;
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<InputException>(() => AutoTokenizer.FromPretrained(tmp.Path));
        Assert.Equal("added_tokens.id", e.Field);

        var config = tmp.File("tokenizer_config.json");
        File.WriteAllText(path, JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Shared, "tokenizers", "ModernBERT-base", "tokenizer.json")))!.ToJsonString());
        File.WriteAllText(config, """{"added_tokens_decoder": {"-4": {"content": "[X]"}}}""");
        var decoder = Assert.Throws<InputException>(() => AutoTokenizer.FromPretrained(tmp.Path));
        Assert.Equal(config, decoder.File);
        Assert.Equal("added_tokens_decoder.-4", decoder.Field);
    }

    [Fact]
    public void Malformed_tokenizer_values_are_input_errors_naming_the_folder()
    {
        using var tmp = new TempDir();
        var path = ModernBertTokenizerCopy(tmp);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["model"]!["type"] = 42;
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<InputException>(() => AutoTokenizer.FromPretrained(tmp.Path));
        Assert.Equal(tmp.Path, e.File);
        Assert.Contains("malformed", e.Message);
    }

    [Fact]
    public void A_tokenizer_with_ids_past_vocab_size_is_refused_naming_its_file()
    {
        using var tmp = new TempDir();
        foreach (var file in Directory.GetFiles(TestPaths.Fixture("tiny-roberta")))
            if (Path.GetFileName(file) != "golden.json") File.Copy(file, tmp.File(Path.GetFileName(file)));
        var config = PretrainedConfig.Load(tmp.Path);
        var tokenizer = AutoTokenizer.FromPretrained(tmp.Path);
        ClassifierFolder.CheckVocabulary(config, tokenizer, tmp.Path);
        config.Json["vocab_size"] = tokenizer.Count - 1;
        var e = Assert.Throws<InputException>(() => ClassifierFolder.CheckVocabulary(config, tokenizer, tmp.Path));
        Assert.Equal(tmp.File("vocab.json"), e.File);
        Assert.Contains($"the tokenizer has ids up to {tokenizer.Count - 1}", e.Message);
        Assert.Contains($"sets vocab_size {tokenizer.Count - 1}", e.Message);
    }
}
