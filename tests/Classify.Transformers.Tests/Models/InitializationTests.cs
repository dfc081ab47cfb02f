using Classify.HuggingFace.Configuration;
using Classify.Transformers.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

public class InitializationTests
{
    private static Dictionary<string, float[]> Weights(SequenceClassificationModel model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());

    [Theory]
    [InlineData("bert-tiny")]
    [InlineData("modernbert-tiny")]
    public void Same_generator_seed_gives_the_same_weights_whatever_the_global_generator_does(string name)
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        var config = ScratchConfigs.Create(name);
        config.NumLabels = 3;
        random.manual_seed(1);
        using var g1 = new Generator(7);
        using var a = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g1);
        random.manual_seed(2);
        using var noise = randn(1000);                       // moves the global generator on
        using var g2 = new Generator(7);
        using var b = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g2);
        using var g3 = new Generator(8);
        using var c = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g3);

        var wa = Weights(a);
        var wb = Weights(b);
        Assert.All(wa, kv => Assert.Equal(kv.Value, wb[kv.Key]));
        Assert.NotEqual(wa.Values.First(v => v.Length > 1000), Weights(c)[wa.First(kv => kv.Value.Length > 1000).Key]);
    }

    [Fact]
    public void Normal_init_has_the_configured_standard_deviation()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        var config = ScratchConfigs.Create("bert-tiny");
        using var g = new Generator(11);
        using var model = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g);
        var word = model.named_parameters().First(p => p.name.EndsWith("word_embeddings.weight", StringComparison.Ordinal)).parameter;
        Assert.Equal(0.0, word.mean().item<float>(), 3);
        Assert.Equal(config.InitializerRange, word.std().item<float>(), 3);
        var bias = model.named_parameters().First(p => p.name.EndsWith("query.bias", StringComparison.Ordinal)).parameter;
        Assert.Equal(0f, bias.abs().max().item<float>());
    }

    [Fact]
    public void ModernBert_init_is_a_normal_truncated_at_the_cutoff()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        var config = (ModernBertConfig)ScratchConfigs.Create("modernbert-tiny");
        using var g = new Generator(5);
        using var model = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g);
        var std = config.InitializerRange;
        var cutoff = config.InitializerCutoffFactor * std;
        var all = model.named_parameters().Where(p => p.parameter.dim() == 2).Select(p => p.parameter.flatten()).ToArray();
        using var w = cat(all, 0);
        Assert.True(w.abs().max().item<float>() <= cutoff + 1e-7, "values beyond the cut-off");
        Assert.Equal(0.0, w.mean().item<float>(), 3);
        // A normal truncated at ±2σ has standard deviation 0.8796σ.
        var expected = config.InitializerCutoffFactor == 2.0 ? 0.8796 * std : w.std().item<float>();
        Assert.Equal(expected, w.std().item<float>(), 3);
    }

    [Theory]
    [InlineData("bert-tiny", "bert.embeddings.word_embeddings.weight", 0)]
    [InlineData("roberta-tiny", "roberta.embeddings.word_embeddings.weight", 1)]
    [InlineData("roberta-tiny", "roberta.embeddings.position_embeddings.weight", 1)]
    [InlineData("distilbert-tiny", "distilbert.embeddings.word_embeddings.weight", 0)]
    public void Padding_rows_of_embeddings_start_at_zero_as_in_hf(string spec, string parameter, long padRow)
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        using var g = new Generator(3);
        using var model = AutoModelForSequenceClassification.FromConfig(ScratchConfigs.Create(spec), ScalarType.Float32, g);
        var table = model.named_parameters().First(p => p.name == parameter).parameter;
        using var pad = table[padRow];
        using var next = table[padRow + 1];
        Assert.Equal(0f, pad.abs().max().item<float>());
        Assert.True(next.abs().max().item<float>() > 0);
    }
}
