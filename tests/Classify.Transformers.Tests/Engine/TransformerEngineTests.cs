using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Transformers.Engine;

namespace Classify.Transformers.Tests.Engine;

public class TransformerEngineTests
{
    private readonly TransformerEngine _engine = new();

    [Fact]
    public void Claims_plain_hf_folders_of_supported_families_and_its_own_packages_only()
    {
        Assert.Equal("transformer", _engine.Name);
        Assert.True(_engine.CanLoad(TestPaths.Fixture("tiny-bert"), null));
        Assert.True(_engine.CanLoad(TestPaths.Fixture("tiny-modernbert"), null));
        var manifest = new ModelManifest { Engine = "linear", Task = "binary", Labels = ["a", "b"] };
        Assert.False(_engine.CanLoad(TestPaths.Fixture("tiny-bert"), manifest));
        Assert.True(_engine.CanLoad(TestPaths.Fixture("tiny-bert"), manifest with { Engine = "transformer" }));

        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("config.json"), """{"model_type": "gpt2"}""");
        File.WriteAllBytes(temp.Sub("model.safetensors"), [0]);
        Assert.False(_engine.CanLoad(temp.Path, null));
        File.WriteAllText(temp.Sub("config.json"), """{"model_type": "bert"}""");
        File.Delete(temp.Sub("model.safetensors"));
        Assert.False(_engine.CanLoad(temp.Path, null));   // no weights at all
    }

    [Fact]
    public void Pickled_only_folder_is_claimed_and_refused_with_a_clear_error()
    {
        using var temp = new TempDirectory();
        GoldenInputs.CopyModelFiles("tiny-bert", temp.Path);
        File.Move(temp.Sub("model.safetensors"), temp.Sub("pytorch_model.bin"));

        Assert.True(_engine.CanLoad(temp.Path, null));
        var e = Assert.Throws<InputException>(() => _engine.Load(temp.Path, null));
        Assert.Contains("pickled", e.Message);
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("safe_serialization=True", e.Message);
    }

    [Fact]
    public void Config_json_is_read_once_from_CanLoad_to_a_loaded_predictor()
    {
        using var temp = new TempDirectory();
        GoldenInputs.CopyModelFiles("tiny-bert", temp.Path);
        var configPath = temp.Sub("config.json");
        var written = File.GetLastWriteTimeUtc(configPath);
        Assert.True(_engine.CanLoad(temp.Path, null));

        // Unreadable from here on, same size and time: Load can only succeed with what CanLoad parsed.
        File.WriteAllText(configPath, new string(' ', (int)new FileInfo(configPath).Length));
        File.SetLastWriteTimeUtc(configPath, written);
        using (var predictor = _engine.Load(temp.Path, null))
            Assert.Equal(["negative", "neutral", "positive"], predictor.Manifest.Labels);

        // The parse is used once, and only for an unchanged file.
        Assert.Throws<InputException>(() => _engine.Load(temp.Path, null));
    }

    [Fact]
    public void Registered_engine_loads_through_TextClassifier()
    {
        TransformerEngine.Register();
        TransformerEngine.Register();   // idempotent
        Assert.Single(ModelEngines.All, e => e.Name == "transformer");
        using var classifier = TextClassifier.Load(TestPaths.Fixture("tiny-bert"));
        var prediction = classifier.Predict("The quick brown fox jumps over the lazy dog.");
        Assert.Contains(prediction.Label, new[] { "negative", "neutral", "positive" });
        Assert.Equal(1.0, prediction.Probabilities.Values.Sum(), 9);
    }
}
