using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Engine;
using Classify.Transformers.Training;

namespace Classify.Transformers.Tests.Engine;

public class ScratchModelsTests
{
    [Theory]
    [InlineData("scratch:bert-tiny", "bert", 30522, "vocab.txt")]
    [InlineData("scratch:roberta-tiny", "roberta", 50265, "merges.txt")]
    [InlineData("scratch:distilbert-tiny", "distilbert", 30522, "vocab.txt")]
    [InlineData("scratch:modernbert-tiny", "modernbert", 50368, "tokenizer.json")]
    public void Writes_an_hf_base_folder_with_the_real_tokenizer_that_training_loads(string spec, string modelType, int vocab, string tokenizerFile)
    {
        using var temp = new TempDirectory();
        var dir = ScratchModels.Create(spec, temp.Path, seed: 7);

        Assert.Equal(Path.Combine(temp.Path, spec["scratch:".Length..] + "-seed7"), dir);
        var config = PretrainedConfig.Load(dir);
        Assert.Equal(modelType, config.ModelType);
        Assert.Equal(vocab, config.Json["vocab_size"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(dir, tokenizerFile)));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".*"));   // no staging folder left behind

        // A base checkpoint has no classification head: not a classifier to predict with (its head would be random) …
        var e = Assert.Throws<InputException>(() => TransformerPredictor.Load(dir).Dispose());
        Assert.Contains("missing: ", e.Message);
        Assert.Contains("classifier.", e.Message);

        // … but the start of a fine-tuning, whose head is initialised for the task's labels.
        var notes = new List<string>();
        var start = ModelLoader.Load(dir, null, new LabelSchema(TaskKind.Binary, ["LABEL_0", "LABEL_1"]), seed: 7, notes.Add);
        using var predictor = new TransformerPredictor(dir, ClassifierFolder.ManifestFromConfig(start.Model.Config, TransformerPredictor.EngineName),
            start.Model, new ClassifierInputs(start.Tokenizer, start.Model.Config, 32, context: null), batchSize: 8);
        Assert.Contains("newly initialized: ", Assert.Single(notes));
        var p = predictor.PredictProbabilities(["So grateful for all the support today!", "meh"]);
        Assert.All(p, row => Assert.Equal(1.0, row.Sum(), 9));
    }

    [Fact]
    public void Same_spec_and_seed_is_written_once_and_gives_the_same_weights()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var first = ScratchModels.Create("bert-tiny", a.Path, seed: 3);
        var weights = Path.Combine(first, SafeTensorsCheckpoint.WeightsName);
        var written = File.GetLastWriteTimeUtc(weights);
        Assert.Equal(first, ScratchModels.Create("scratch:BERT-tiny", a.Path, seed: 3));
        Assert.Equal(written, File.GetLastWriteTimeUtc(weights));

        var elsewhere = ScratchModels.Create("scratch:bert-tiny", b.Path, seed: 3);
        Assert.Equal(File.ReadAllBytes(weights), File.ReadAllBytes(Path.Combine(elsewhere, SafeTensorsCheckpoint.WeightsName)));
        var otherSeed = ScratchModels.Create("scratch:bert-tiny", b.Path, seed: 4);
        Assert.NotEqual(File.ReadAllBytes(weights), File.ReadAllBytes(Path.Combine(otherSeed, SafeTensorsCheckpoint.WeightsName)));

        // A base checkpoint: the encoder only; the task head is initialised when labels are known.
        using var checkpoint = SafeTensorsCheckpoint.Open(first);
        Assert.All(checkpoint.Tensors.Keys, k => Assert.StartsWith("bert.", k));
    }

    [Fact]
    public void Unknown_spec_lists_the_valid_names()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<InputException>(() => ScratchModels.Create("scratch:gpt-huge", temp.Path));
        Assert.Contains("bert-tiny", e.Message);
    }

    [Fact]
    public void Bundled_tokenizers_are_embedded()
    {
        Assert.Equal(["tokenizer_config.json", "vocab.txt"], BundledTokenizers.Files("bert-base-uncased"));
        Assert.Equal(["merges.txt", "vocab.json"], BundledTokenizers.Files("roberta-base"));
        Assert.Equal(["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"], BundledTokenizers.Files("ModernBERT-base"));
        Assert.Equal("bert-base-uncased", BundledTokenizers.ForFamily("distilbert"));
    }
}
