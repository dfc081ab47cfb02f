using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.Onnx.Export;

namespace Classify.Onnx.Engine;

/// <summary>
/// The <c>onnx</c> model engine: loads Classify ONNX packages (<c>classify export --format onnx</c>) and Hugging Face
/// Optimum-style folders (<c>model.onnx</c>, or <c>onnx/model.onnx</c>, beside <c>config.json</c> and the tokenizer files)
/// as <see cref="OnnxPredictor"/>s. It only predicts; models are trained by the transformer engine and exported.
/// </summary>
public sealed class OnnxEngine : IModelEngine
{
    private readonly OnnxPredictorOptions? _options;

    /// <summary>An engine that loads with <see cref="OnnxPredictorOptions.Default"/>.</summary>
    public OnnxEngine()
    {
    }

    /// <summary>An engine that loads with <paramref name="options"/> (a server's session settings, say).</summary>
    public OnnxEngine(OnnxPredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The engine name written in <c>classify.json</c>.</summary>
    public const string EngineName = "onnx";

    /// <summary>Registers the engine with <see cref="ModelEngines"/> (idempotent).</summary>
    public static void Register() => ModelEngines.Register(new OnnxEngine());

    /// <inheritdoc />
    public string Name => EngineName;

    /// <summary>
    /// True for a package whose <c>classify.json</c> names this engine, and for a folder without one that has an ONNX
    /// graph and a <c>config.json</c>.
    /// </summary>
    public bool CanLoad(string directory, ModelManifest? manifest) =>
        manifest is not null ? manifest.Engine == Name
            : FindModel(directory) is not null && File.Exists(Path.Combine(directory, PretrainedConfig.FileName));

    /// <inheritdoc />
    public IPredictor Load(string directory, ModelManifest? manifest) => OnnxPredictor.Load(directory, manifest, _options);

    /// <summary>The graph of a folder: <c>model.onnx</c>, else <c>onnx/model.onnx</c> (the Hub's transformers.js layout); null when neither exists.</summary>
    public static string? FindModel(string directory)
    {
        foreach (var candidate in new[] { Path.Combine(directory, OnnxExporter.ModelFileName), Path.Combine(directory, "onnx", OnnxExporter.ModelFileName) })
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        return null;
    }
}
