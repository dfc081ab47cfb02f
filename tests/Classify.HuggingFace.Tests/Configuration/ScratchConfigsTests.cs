using System.Text.Json;
using Classify.Core.IO;
using Classify.HuggingFace.Configuration;

namespace Classify.HuggingFace.Tests.Configuration;

public class ScratchConfigsTests
{
    private static int ModernBertTokenizerSize()
    {
        // Ids run to the largest added token: 50367, so the embedding has 50368 rows.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Shared, "tokenizers", "ModernBERT-base", "tokenizer.json")));
        var max = doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Max(p => p.Value.GetInt32());
        foreach (var added in doc.RootElement.GetProperty("added_tokens").EnumerateArray())
            max = Math.Max(max, added.GetProperty("id").GetInt32());
        return max + 1;
    }

    [Fact]
    public void Vocab_sizes_match_the_real_tokenizers()
    {
        var bertVocab = File.ReadLines(Path.Combine(TestPaths.Shared, "tokenizers", "bert-base-uncased", "vocab.txt")).Count();
        using var roberta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Shared, "tokenizers", "roberta-base", "vocab.json")));
        Assert.Equal(bertVocab, ((BertConfig)ScratchConfigs.Create("bert-tiny")).VocabSize);
        Assert.Equal(bertVocab, ((DistilBertConfig)ScratchConfigs.Create("distilbert-small")).VocabSize);
        Assert.Equal(roberta.RootElement.EnumerateObject().Count(), ((RobertaConfig)ScratchConfigs.Create("roberta-mini")).VocabSize);
        Assert.Equal(ModernBertTokenizerSize(), ((ModernBertConfig)ScratchConfigs.Create("modernbert-medium")).VocabSize);
    }

    [Theory]
    [InlineData("bert-tiny", 2, 128, 2, 512)]
    [InlineData("bert-mini", 4, 256, 4, 1024)]
    [InlineData("bert-small", 4, 512, 8, 2048)]
    [InlineData("bert-medium", 8, 512, 8, 2048)]
    [InlineData("BERT-base", 12, 768, 12, 3072)]
    [InlineData("roberta-base", 12, 768, 12, 3072)]
    public void Bert_family_sizes(string name, int layers, int hidden, int heads, int intermediate)
    {
        var config = Assert.IsAssignableFrom<BertConfig>(ScratchConfigs.Create(name));
        Assert.Equal((layers, hidden, heads, intermediate), (config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal(hidden / heads, config.HeadDim);
    }

    [Fact]
    public void Family_specifics_are_those_of_the_released_base_models()
    {
        var roberta = (RobertaConfig)ScratchConfigs.Create("roberta-tiny");
        Assert.Equal((514, 1, 1e-5, 1), (roberta.MaxPositionEmbeddings, roberta.TypeVocabSize, roberta.LayerNormEps, roberta.PadTokenId));
        var distil = (DistilBertConfig)ScratchConfigs.Create("distilbert-base");
        Assert.Equal((6, 768, 12, 3072), (distil.NLayers, distil.Dim, distil.NHeads, distil.HiddenDim));
        var modern = (ModernBertConfig)ScratchConfigs.Create("modernbert-base");
        Assert.Equal((22, 768, 12, 1152, 50368), (modern.NumHiddenLayers, modern.HiddenSize, modern.NumAttentionHeads, modern.IntermediateSize, modern.VocabSize));
        var modernTiny = (ModernBertConfig)ScratchConfigs.Create("modernbert-tiny");
        Assert.Equal((2, 128, 2, 192), (modernTiny.NumHiddenLayers, modernTiny.HiddenSize, modernTiny.NumAttentionHeads, modernTiny.IntermediateSize));
        Assert.Equal("modernbert", modernTiny.Json["model_type"]!.GetValue<string>());
        Assert.True(modernTiny.Json.ContainsKey("global_attn_every_n_layers"), "presets write every key explicitly");
    }

    [Fact]
    public void Unknown_presets_list_the_valid_names()
    {
        var e = Assert.Throws<InputException>(() => ScratchConfigs.Create("gpt2-huge"));
        Assert.Contains("bert-tiny", e.Message);
        Assert.Equal(20, ScratchConfigs.Names.Count);
    }
}
