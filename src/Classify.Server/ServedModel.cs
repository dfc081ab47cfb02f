using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Linear.Engine;
using Classify.Onnx.Engine;

namespace Classify.Server;

/// <summary>A loaded model the server scores with: its name, classifier and default uncertainty settings.</summary>
public sealed class ServedModel : IDisposable
{
    private ServedModel(string name, string directory, TextClassifier classifier, UncertaintyOptions defaults)
    {
        Name = name;
        Directory = directory;
        Classifier = classifier;
        DefaultUncertainty = defaults;
    }

    /// <summary>The name clients use.</summary>
    public string Name { get; }

    /// <summary>The package folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The loaded classifier (cleaning, decision and abstain rules).</summary>
    public TextClassifier Classifier { get; }

    /// <summary>The package's uncertainty settings (<c>uncertainty</c> of classify.json), or single pass.</summary>
    public UncertaintyOptions DefaultUncertainty { get; }

    /// <summary>The engine name (<c>linear</c> or <c>onnx</c>).</summary>
    public string Engine => Classifier.Manifest.Engine;

    /// <summary>
    /// Why <paramref name="samples"/> Monte-Carlo samples cannot be given by this model, or null when they can.
    /// Neither served engine offers them today: ONNX graphs have no dropout and a linear ensemble's uncertainty always
    /// comes from its members.
    /// </summary>
    public string? SamplesProblem(int samples) =>
        (DefaultUncertainty with { McSamples = samples }).PredictorProblem(Classifier.Predictor);

    /// <summary>
    /// The engines a server loads: linear and ONNX only. They are used directly, never through the process-wide
    /// <see cref="ModelEngines"/> registry, so a server never reaches the transformer engine (or TorchSharp) even in a
    /// process that registered it.
    /// </summary>
    public static IReadOnlyList<IModelEngine> Engines { get; } = [new LinearEngine(), new OnnxEngine()];

    /// <summary>The message for a transformer package: it has to be exported to ONNX first.</summary>
    public static string ExportFirstMessage(string directory) =>
        $"a transformer (TorchSharp) model cannot be served; export it first: classify export --model {directory} --format onnx -o OUT";

    /// <summary>
    /// Loads a local package with the linear or onnx engine. A transformer package or a Hugging Face checkpoint folder is
    /// refused with <see cref="ExportFirstMessage"/>.
    /// </summary>
    /// <exception cref="InputException">Missing folder, not a servable package, a broken package, or a package default of Monte-Carlo samples that the model cannot give.</exception>
    public static ServedModel Load(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var directory = Path.GetFullPath(spec.Directory);
        if (!System.IO.Directory.Exists(directory))
            throw new InputException(File.Exists(directory) ? "expected a model folder, got a file" : "model folder not found", spec.Directory, field: "--model");
        var manifest = File.Exists(Path.Combine(directory, ModelManifest.FileName)) ? ModelManifest.Load(directory) : null;
        var engine = Engines.FirstOrDefault(e => e.CanLoad(directory, manifest));
        if (engine is null)
        {
            if (manifest?.Engine == "transformer" || (manifest is null && LooksLikeCheckpoint(directory)))
                throw new InputException(ExportFirstMessage(spec.Directory), spec.Directory, field: "--model");
            throw new InputException(manifest is null
                ? $"not a model package (no {ModelManifest.FileName}, no model.onnx beside config.json)"
                : $"engine '{manifest.Engine}' cannot be served (serve loads linear and onnx packages)", spec.Directory, field: "--model");
        }
        var classifier = new TextClassifier(engine.Load(directory, manifest));
        try
        {
            var defaults = classifier.Manifest.Uncertainty ?? UncertaintyOptions.SinglePass;
            if (defaults.PredictorProblem(classifier.Predictor) is { } problem)
                throw new InputException(problem, Path.Combine(directory, ModelManifest.FileName), field: "uncertainty.mc_samples");
            return new ServedModel(spec.Name, directory, classifier, defaults);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    private static bool LooksLikeCheckpoint(string directory) =>
        File.Exists(Path.Combine(directory, PretrainedConfig.FileName))
        && (File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName))
            || File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.IndexName))
            || System.IO.Directory.EnumerateFiles(directory).Any(f => Path.GetExtension(f).ToLowerInvariant() is ".bin" or ".pt" or ".pth" or ".ckpt"));

    /// <inheritdoc />
    public void Dispose() => Classifier.Dispose();
}
