// Shared by the benchmark programs that run a transformer (linked by Classify.Bench.Onnx and Classify.Bench.Transformers).
using Classify.HuggingFace.Configuration;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using TorchSharp;

static class ScratchClassifiers
{
    /// <summary>
    /// A scratch encoder (<c>scratch:&lt;model&gt;</c>) with a classification head, all drawn from seed 0, in a folder of
    /// its own under <paramref name="cache"/> (HF layout with the encoder's tokenizer files; scratch folders hold the
    /// encoder only): what the exporter, the TorchSharp engine and a predictor load like a fine-tuned model.
    /// </summary>
    public static string Create(string model, string cache)
    {
        var encoder = ScratchModels.Create($"scratch:{model}", cache, seed: 0);
        var folder = Path.Combine(cache, $"{model}-classifier-seed0");
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return folder;
        using (var generator = new torch.Generator(0))
        using (var classifier = AutoModelForSequenceClassification.FromConfig(PretrainedConfig.Load(encoder), generator: generator))
            classifier.SavePretrained(folder);
        foreach (var file in Directory.GetFiles(encoder).Where(f => !f.EndsWith(".safetensors") && !f.EndsWith("config.json")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        return folder;
    }
}
