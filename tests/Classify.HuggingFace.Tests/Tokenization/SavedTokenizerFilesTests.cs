using System.Text.Json.Nodes;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>
/// The tokenizer files a model package gets (<see cref="PreTrainedTokenizer.SaveTokenizerFiles"/>) must load with
/// transformers 4.48's <c>from_pretrained</c> for every family, and load back here to the same tokenizer. Each family
/// is saved twice: from the files its packages ship (copied as they are) and from the same files without
/// <c>tokenizer_config.json</c>, so that the config is generated.
/// </summary>
public sealed class SavedTokenizerFilesTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("classify-saved-tok-");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>(variant name, source folder, files to leave out) per family.</summary>
    private static (string Name, string Source, string[] Without)[] Sources(string family) => family switch
    {
        "bert" =>
        [
            ("tiny-bert", TestPaths.Fixture("tiny-bert"), []),
            ("bert-base-uncased", Goldens.RealTokenizerDir("bert-base-uncased"), []),
            ("tiny-bert vocab only", TestPaths.Fixture("tiny-bert"), ["tokenizer_config.json", "special_tokens_map.json"]),
        ],
        "distilbert" =>
        [
            ("tiny-distilbert", TestPaths.Fixture("tiny-distilbert"), []),
            ("tiny-distilbert vocab only", TestPaths.Fixture("tiny-distilbert"), ["tokenizer_config.json", "special_tokens_map.json"]),
        ],
        "roberta" =>
        [
            ("tiny-roberta", TestPaths.Fixture("tiny-roberta"), []),
            // What scratch RoBERTa packages start from: vocab.json and merges.txt only.
            ("roberta-base", Goldens.RealTokenizerDir("roberta-base"), []),
            ("tiny-roberta vocab and merges only", TestPaths.Fixture("tiny-roberta"), ["tokenizer_config.json", "special_tokens_map.json"]),
        ],
        "modernbert" =>
        [
            ("ModernBERT-base", Goldens.RealTokenizerDir("ModernBERT-base"), []),
            ("ModernBERT-base without tokenizer_config.json", Goldens.RealTokenizerDir("ModernBERT-base"), ["tokenizer_config.json"]),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    [InlineData("modernbert")]
    public void Saved_tokenizer_files_have_the_shapes_transformers_4_48_loads_and_load_back_here(string family)
    {
        foreach (var (name, source, without) in Sources(family))
        {
            var input = CopyTokenizerFiles(source, without);
            var original = AutoTokenizer.FromPretrained(input);
            var package = Path.Combine(_root, Guid.NewGuid().ToString("N"));
            original.SaveTokenizerFiles(package);

            Assert.True(TransformersTokenizerFiles.Problems(package) is [], $"{name}: {string.Join("; ", TransformersTokenizerFiles.Problems(package))}");
            var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(package, "tokenizer_config.json")))!;
            var generated = without.Contains("tokenizer_config.json");
            if (generated) AssertGeneratedConfig(name, original, config);

            var loaded = AutoTokenizer.FromPretrained(package);
            Assert.Equal(original.GetType(), loaded.GetType());
            Assert.Equal(original.TokenizerClass, loaded.TokenizerClass);
            Assert.Equal(original.Count, loaded.Count);
            Assert.Equal(original.MaskToken, loaded.MaskToken);
            Assert.Equal(original.MaskTokenId, loaded.MaskTokenId);
            Assert.Equal(original.PadTokenId, loaded.PadTokenId);
            Assert.Equal(original.AllSpecialIds.Order(), loaded.AllSpecialIds.Order());
            Assert.Equal(original.ModelMaxLength, loaded.ModelMaxLength);
            foreach (var text in new[] { "The capital of France is  <mask> [MASK].", "Café déjà vu 🤖 isn't it", "a <s> b </s> [CLS] [SEP]" })
            {
                Assert.Equal(original.Encode(text).InputIds, loaded.Encode(text).InputIds);
                Assert.Equal(original.Encode(text, "second part").InputIds, loaded.Encode(text, "second part").InputIds);
            }
        }
    }

    // A generated config names every special token as a string and lists it, with its flags, in added_tokens_decoder.
    private static void AssertGeneratedConfig(string name, PreTrainedTokenizer tokenizer, JsonObject config)
    {
        var named = new (string Key, string? Content, int? Id)[]
        {
            ("bos_token", tokenizer.BosToken, tokenizer.BosTokenId), ("eos_token", tokenizer.EosToken, tokenizer.EosTokenId),
            ("unk_token", tokenizer.UnkToken, tokenizer.UnkTokenId), ("sep_token", tokenizer.SepToken, tokenizer.SepTokenId),
            ("pad_token", tokenizer.PadToken, tokenizer.PadTokenId), ("cls_token", tokenizer.ClsToken, tokenizer.ClsTokenId),
            ("mask_token", tokenizer.MaskToken, tokenizer.MaskTokenId),
        };
        Assert.Contains(named, n => n.Content is not null);
        var decoder = Assert.IsType<JsonObject>(config["added_tokens_decoder"]);
        foreach (var (key, content, id) in named)
        {
            if (content is null)
            {
                Assert.Null(config[key]);
                continue;
            }
            Assert.True(config[key] is JsonValue v && v.GetValue<string>() == content, $"{name}: {key} is {config[key]?.ToJsonString()}");
            var entry = Assert.IsType<JsonObject>(decoder[id!.Value.ToString()]);
            Assert.Equal(content, entry["content"]!.GetValue<string>());
            Assert.True(entry["special"]!.GetValue<bool>());
            var token = tokenizer.AddedTokens.FirstOrDefault(t => t.Id == id);
            if (token is not null) Assert.Equal(token.LStrip, entry["lstrip"]!.GetValue<bool>());
        }
        // RoBERTa's <mask> swallows the space before it; the flag travels in added_tokens_decoder.
        if (tokenizer.MaskToken == "<mask>") Assert.True(decoder[tokenizer.MaskTokenId!.Value.ToString()]!["lstrip"]!.GetValue<bool>());
        // Keys sorted as json.dumps(sort_keys=True) writes them.
        Assert.Equal(config.Select(p => p.Key).Order(StringComparer.Ordinal), config.Select(p => p.Key));
    }

    [Fact]
    public void The_files_transformers_4_48_wrote_pass_the_check()
    {
        foreach (var dir in new[]
                 {
                     TestPaths.Fixture("tiny-bert"), TestPaths.Fixture("tiny-bert-mlm"), TestPaths.Fixture("tiny-bert-multilabel"),
                     TestPaths.Fixture("tiny-distilbert"), TestPaths.Fixture("tiny-roberta"), TestPaths.Fixture("tiny-roberta-mlm"),
                     Goldens.RealTokenizerDir("ModernBERT-base"), Goldens.RealTokenizerDir("bert-base-uncased"),
                 })
            Assert.True(TransformersTokenizerFiles.Problems(dir) is [], $"{dir}: {string.Join("; ", TransformersTokenizerFiles.Problems(dir))}");
    }

    [Theory]
    // The shape that broke RobertaTokenizer.from_pretrained: an object without "__type".
    [InlineData("tokenizer_config.json", """{"mask_token": {"content": "<mask>", "lstrip": true, "normalized": false, "rstrip": false, "single_word": false, "special": true}}""")]
    [InlineData("tokenizer_config.json", """{"mask_token": 5}""")]
    [InlineData("tokenizer_config.json", """{"mask_token": {"__type": "AddedToken", "content": "<mask>", "id": 3}}""")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"4": {"__type": "AddedToken", "content": "[MASK]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}}""")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"4": {"content": "[MASK]", "special": true}}}""")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"x": {"content": "[MASK]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}}""")]
    [InlineData("special_tokens_map.json", """{"mask_token": {"content": "<mask>", "lstrip": true, "special": true}}""")]
    public void The_check_finds_shapes_transformers_4_48_refuses(string file, string json)
    {
        var dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, file), json);
        Assert.NotEmpty(TransformersTokenizerFiles.Problems(dir));
    }

    private string CopyTokenizerFiles(string source, string[] without)
    {
        var dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string[] tokenizerFiles = ["vocab.txt", "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];
        foreach (var file in tokenizerFiles.Except(without))
            if (File.Exists(Path.Combine(source, file))) File.Copy(Path.Combine(source, file), Path.Combine(dir, file));
        return dir;
    }
}
