using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tests.SafeTensors;

namespace Classify.HuggingFace.Tests.Configuration;

public class PretrainedConfigTests
{
    [Fact]
    public void Tiny_bert_config_loads_with_its_values()
    {
        var config = Assert.IsType<BertConfig>(PretrainedConfig.Load(TestPaths.Fixture("tiny-bert")));
        Assert.Equal("bert", config.ModelType);
        Assert.Equal(["BertForSequenceClassification"], config.Architectures);
        Assert.Equal((1000, 32, 2, 4, 37), (config.VocabSize, config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal((64, 2, 0), (config.MaxPositionEmbeddings, config.TypeVocabSize, config.PadTokenId));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(0.1, config.HiddenDropoutProb);
        Assert.Null(config.ClassifierDropout);
        Assert.Equal(0.1, config.EffectiveClassifierDropout);
        Assert.Equal("absolute", config.PositionEmbeddingType);
        Assert.Equal(["negative", "neutral", "positive"], config.LabelNames);
        Assert.Equal(2, config.Label2Id["positive"]);
        Assert.Equal(3, config.NumLabels);
        Assert.Null(config.ProblemType);
        Assert.Equal("float32", config.TorchDtype);
        Assert.Equal(8, config.HeadDim);
    }

    [Fact]
    public void Multilabel_config_has_its_problem_type()
    {
        var config = PretrainedConfig.Load(TestPaths.Fixture("tiny-bert-multilabel", "config.json"));
        Assert.Equal("multi_label_classification", config.ProblemType);
        Assert.Equal(5, config.NumLabels);
        Assert.Equal("label_e", config.Id2Label[4]);
    }

    [Fact]
    public void Tiny_roberta_config_uses_roberta_values()
    {
        var config = Assert.IsType<RobertaConfig>(PretrainedConfig.Load(TestPaths.Fixture("tiny-roberta")));
        Assert.Equal((510, 66, 1, 1, 0, 2), (config.VocabSize, config.MaxPositionEmbeddings, config.TypeVocabSize, config.PadTokenId, config.BosTokenId, config.EosTokenId));
        Assert.Equal(1e-5, config.LayerNormEps);
        Assert.Equal(1, config.PaddingIdx);
        Assert.Equal(64, config.MaxSequenceLength);
    }

    [Fact]
    public void Tiny_distilbert_config_uses_distilbert_keys()
    {
        var config = Assert.IsType<DistilBertConfig>(PretrainedConfig.Load(TestPaths.Fixture("tiny-distilbert")));
        Assert.Equal((1000, 32, 2, 4, 37, 64), (config.VocabSize, config.Dim, config.NLayers, config.NHeads, config.HiddenDim, config.MaxPositionEmbeddings));
        Assert.Equal((0.1, 0.1, 0.2, 0.1), (config.Dropout, config.AttentionDropout, config.SeqClassifDropout, config.QaDropout));
        Assert.Equal("gelu", config.Activation);
        Assert.False(config.SinusoidalPosEmbds);
        Assert.Equal(0, config.PadTokenId);
    }

    [Fact]
    public void Tiny_modernbert_config_reads_every_key()
    {
        var config = Assert.IsType<ModernBertConfig>(PretrainedConfig.Load(TestPaths.Fixture("tiny-modernbert")));
        Assert.Equal((1000, 32, 48, 2, 4), (config.VocabSize, config.HiddenSize, config.IntermediateSize, config.NumHiddenLayers, config.NumAttentionHeads));
        Assert.Equal((2, 16, 128), (config.GlobalAttnEveryNLayers, config.LocalAttention, config.MaxPositionEmbeddings));
        Assert.Equal((160000.0, 10000.0, 1e-5), (config.GlobalRopeTheta, config.LocalRopeTheta, config.NormEps));
        Assert.False(config.NormBias || config.AttentionBias || config.MlpBias || config.ClassifierBias);
        Assert.True(config.DecoderBias);
        Assert.Equal(("gelu", "gelu", "cls"), (config.HiddenActivation, config.ClassifierActivation, config.ClassifierPooling));
        Assert.Equal((0.0, 0.0, 0.0, 0.0), (config.AttentionDropout, config.MlpDropout, config.EmbeddingDropout, config.ClassifierDropout));
        Assert.Equal((0, 2, 3, 2, 3), (config.PadTokenId, config.ClsTokenId, config.SepTokenId, config.BosTokenId, config.EosTokenId));
        Assert.False(config.ReferenceCompile);
        Assert.False(config.DeterministicFlashAttn);
        Assert.Equal(-100, config.SparsePredIgnoreIndex);
        Assert.Equal(2.0, config.InitializerCutoffFactor);
        Assert.True(config.IsGlobalLayer(0));
        Assert.False(config.IsGlobalLayer(1));
        Assert.Equal(10000.0, config.RopeTheta(1));

        // Every key of the fixture is a typed property (reading it changes nothing; writing it back keeps the JSON).
        var typedKeys = new ModernBertConfig().Json.Select(kv => kv.Key).ToHashSet();
        var untyped = config.Json.Select(kv => kv.Key).Where(k => !typedKeys.Contains(k)).Order().ToList();
        Assert.Equal(["architectures", "id2label", "label2id", "torch_dtype", "transformers_version"], untyped);
    }

    [Fact]
    public void Absent_keys_read_as_transformers_defaults()
    {
        var modern = new ModernBertConfig(new JsonObject { ["model_type"] = "modernbert" });
        Assert.Equal((50368, 768, 1152, 22, 12), (modern.VocabSize, modern.HiddenSize, modern.IntermediateSize, modern.NumHiddenLayers, modern.NumAttentionHeads));
        Assert.Equal((3, 128, 50283, 50281, 50282), (modern.GlobalAttnEveryNLayers, modern.LocalAttention, modern.PadTokenId, modern.ClsTokenId, modern.SepTokenId));
        Assert.Null(modern.ReferenceCompile);
        var roberta = new RobertaConfig(new JsonObject());
        Assert.Equal((50265, 1, 0, 2), (roberta.VocabSize, roberta.PadTokenId, roberta.BosTokenId, roberta.EosTokenId));
        var distil = new DistilBertConfig(new JsonObject());
        Assert.Equal((768, 6, 12, 3072), (distil.Dim, distil.NLayers, distil.NHeads, distil.HiddenDim));
        Assert.Equal(2, new PretrainedConfig().NumLabels);
    }

    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-bert-multilabel")]
    [InlineData("tiny-distilbert")]
    [InlineData("tiny-roberta")]
    [InlineData("tiny-modernbert")]
    public void Save_reproduces_the_transformers_file(string fixture)
    {
        using var tmp = new TempDir();
        var source = TestPaths.Fixture(fixture, "config.json");
        PretrainedConfig.Load(source).Save(tmp.Path);
        Assert.Equal(File.ReadAllText(source).TrimEnd('\n'), File.ReadAllText(tmp.File("config.json")).TrimEnd('\n'));
    }

    [Fact]
    public void Unknown_keys_survive_a_round_trip_and_labels_are_written_with_string_keys()
    {
        using var tmp = new TempDir();
        var config = PretrainedConfig.Load(TestPaths.Fixture("tiny-bert"));
        config.Json["my_custom_key"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };
        config.SetLabels(Enumerable.Range(0, 12).Select(i => $"c{i}").ToList());
        ((BertConfig)config).HiddenDropoutProb = 0.25;
        config.Save(tmp.Path);

        var text = File.ReadAllText(tmp.File("config.json"));
        Assert.Contains("\"10\": \"c10\"", text);
        Assert.True(text.IndexOf("\"10\":", StringComparison.Ordinal) < text.IndexOf("\"2\":", StringComparison.Ordinal), "keys sorted as json.dumps(sort_keys=True) does");
        var reloaded = (BertConfig)PretrainedConfig.Load(tmp.Path);
        Assert.Equal("[1,2,3]", reloaded.Json["my_custom_key"]!["nested"]!.ToJsonString());
        Assert.Equal(12, reloaded.NumLabels);
        Assert.Equal("c11", reloaded.LabelNames[11]);
        Assert.Equal(11, reloaded.Label2Id["c11"]);
        Assert.Equal(0.25, reloaded.HiddenDropoutProb);
        Assert.Equal(1e-12, reloaded.LayerNormEps);
    }

    [Fact]
    public void Bad_values_name_the_file_and_key()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": \"big\", \"id2label\": {\"x\": \"a\"}}");
        var config = (BertConfig)PretrainedConfig.Load(tmp.Path);
        var e = Assert.Throws<InputException>(() => config.HiddenSize);
        Assert.Equal("hidden_size", e.Field);
        Assert.Equal(tmp.File("config.json"), e.File);
        Assert.Equal("id2label", Assert.Throws<InputException>(() => config.Id2Label).Field);

        File.WriteAllText(tmp.File("config.json"), "{\"model_type\": \"gpt2\"}");
        var gpt = PretrainedConfig.Load(tmp.Path);
        Assert.Equal(typeof(PretrainedConfig), gpt.GetType());
        Assert.Equal("model_type", Assert.Throws<InputException>(() => gpt.ToFamilyConfig()).Field);

        File.WriteAllText(tmp.File("config.json"), "{\"model_type\": ");
        Assert.Contains("not valid JSON", Assert.Throws<InputException>(() => PretrainedConfig.Load(tmp.Path)).Message);
        Assert.Throws<InputException>(() => PretrainedConfig.Load(tmp.File("missing.json")));
    }

    [Fact]
    public void ToFamilyConfig_dispatches_on_model_type()
    {
        var plain = new PretrainedConfig(new JsonObject { ["model_type"] = "distilbert", ["dim"] = 64 });
        var family = Assert.IsType<DistilBertConfig>(plain.ToFamilyConfig());
        Assert.Equal(64, family.Dim);
        Assert.Same(plain.Json, family.Json);
    }
}
