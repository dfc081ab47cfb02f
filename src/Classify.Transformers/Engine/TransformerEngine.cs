using System.Text.Json.Nodes;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;

namespace Classify.Transformers.Engine;

/// <summary>
/// The <c>transformer</c> model engine: loads Classify transformer packages and plain Hugging Face
/// sequence-classification folders of the supported families (bert, roberta, distilbert, modernbert) as
/// <see cref="TransformerPredictor"/>s.
/// </summary>
public sealed class TransformerEngine : IModelEngine
{
    /// <summary>The model types this engine implements.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ScratchConfigs.Families;

    /// <summary>Registers the engine with <see cref="ModelEngines"/> (idempotent).</summary>
    public static void Register() => ModelEngines.Register(new TransformerEngine());

    /// <inheritdoc />
    public string Name => TransformerPredictor.EngineName;

    /// <summary>
    /// True for a package whose <c>classify.json</c> names this engine, and for a folder without one whose
    /// <c>config.json</c> has a supported <c>model_type</c> and weights. Folders with only pickled weights are
    /// claimed too, so that <see cref="Load"/> can explain how to convert them instead of "no engine recognises it".
    /// </summary>
    public bool CanLoad(string directory, ModelManifest? manifest)
    {
        if (manifest is not null) return manifest.Engine == Name;
        var configPath = Path.Combine(directory, PretrainedConfig.FileName);
        if (!File.Exists(configPath) || !HasWeights(directory)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(configPath)) is JsonObject obj
                   && obj["model_type"] is JsonValue v && v.TryGetValue<string>(out var type)
                   && SupportedModelTypes.Contains(type);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;   // not ours to diagnose: another engine may understand the folder
        }
    }

    /// <inheritdoc />
    public IPredictor Load(string directory, ModelManifest? manifest) => TransformerPredictor.Load(directory, manifest);

    private static bool HasWeights(string directory) =>
        File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName))
        || File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.IndexName))
        || Directory.EnumerateFiles(directory).Any(f => Path.GetExtension(f).ToLowerInvariant() is ".bin" or ".pt" or ".pth" or ".ckpt");
}
