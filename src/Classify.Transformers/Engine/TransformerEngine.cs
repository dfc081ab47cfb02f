using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Training;

namespace Classify.Transformers.Engine;

/// <summary>
/// The <c>transformer</c> model engine: loads Classify transformer packages and plain Hugging Face
/// sequence-classification folders of the supported families (bert, roberta, distilbert, modernbert) as
/// <see cref="TransformerPredictor"/>s, and fine-tunes them (<see cref="TransformerTrainer"/>).
/// </summary>
public sealed class TransformerEngine : IModelEngine
{
    private readonly Lock _gate = new();
    private ParsedConfig? _lastParsed;

    /// <summary>The model types this engine implements.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ScratchConfigs.Families;

    /// <summary>
    /// Registers the engine with <see cref="ModelEngines"/> and the <c>scratch:&lt;family&gt;-&lt;size&gt;</c> model source
    /// with <see cref="ModelSources"/> (idempotent). Hub ids need <see cref="HuggingFace.Hub.HubModelSource.Register"/>.
    /// </summary>
    public static void Register()
    {
        ModelEngines.Register(new TransformerEngine());
        ModelSources.Register(new ScratchModelSource());
    }

    /// <inheritdoc />
    public string Name => TransformerPredictor.EngineName;

    /// <inheritdoc />
    public IClassifierTrainer CreateTrainer() => new TransformerTrainer();

    /// <summary>
    /// True for a package whose <c>classify.json</c> names this engine, and for a folder without one whose
    /// <c>config.json</c> has a supported <c>model_type</c> and weights. Folders with only pickled weights are
    /// claimed too, so that <see cref="Load"/> can explain how to convert them instead of "no engine recognises it".
    /// The parsed <c>config.json</c> is kept for the <see cref="Load"/> that follows, so it is read once.
    /// </summary>
    public bool CanLoad(string directory, ModelManifest? manifest)
    {
        if (manifest is not null) return manifest.Engine == Name;
        var configPath = Path.GetFullPath(Path.Combine(directory, PretrainedConfig.FileName));
        if (!File.Exists(configPath) || !HasWeights(directory)) return false;
        var file = new FileInfo(configPath);
        (DateTime written, long length) = (file.LastWriteTimeUtc, file.Length);   // before reading: a later change is never taken for this parse
        PretrainedConfig config;
        try
        {
            config = PretrainedConfig.Load(configPath);
        }
        catch (InputException)
        {
            return false;   // not ours to diagnose: another engine may understand the folder
        }
        if (config.ModelType is not { } type || !SupportedModelTypes.Contains(type)) return false;
        lock (_gate) _lastParsed = new ParsedConfig(configPath, written, length, config);
        return true;
    }

    /// <inheritdoc />
    public IPredictor Load(string directory, ModelManifest? manifest)
    {
        var folder = ClassifierFolder.Open(directory, Name, manifest, config: TakeParsed(directory));
        return TransformerPredictor.Load(folder, TransformerPredictorOptions.Default);
    }

    // The config CanLoad parsed, if it is of this folder and the file has not changed since.
    private PretrainedConfig? TakeParsed(string directory)
    {
        var configPath = Path.GetFullPath(Path.Combine(directory, PretrainedConfig.FileName));
        ParsedConfig? parsed;
        lock (_gate)
        {
            parsed = _lastParsed;
            _lastParsed = null;
        }
        if (parsed is null || parsed.Path != configPath) return null;
        var now = new FileInfo(configPath);
        return now.Exists && now.Length == parsed.Length && now.LastWriteTimeUtc == parsed.Written ? parsed.Config : null;
    }

    private sealed record ParsedConfig(string Path, DateTime Written, long Length, PretrainedConfig Config);

    private static bool HasWeights(string directory) =>
        File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName))
        || File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.IndexName))
        || Directory.EnumerateFiles(directory).Any(f => Path.GetExtension(f).ToLowerInvariant() is ".bin" or ".pt" or ".pth" or ".ckpt");
}
