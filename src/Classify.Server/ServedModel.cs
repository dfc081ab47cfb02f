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
    /// Only ONNX packages exported with <c>classify export --mc-dropout</c> offer them (and only when some dropout
    /// probability is above 0); other ONNX graphs have no dropout (the reason names the fix) and a linear ensemble's
    /// uncertainty always comes from its members.
    /// </summary>
    public string? SamplesProblem(int samples) =>
        (DefaultUncertainty with { McSamples = samples }).PredictorProblem(Classifier.Predictor);

    /// <summary>
    /// The ONNX Runtime settings of served models: the defaults, but intra-op threads that sleep rather than spin while
    /// waiting. Spinning threads keep both cores busy between operators and forward passes, which a process that only
    /// scores can afford but a server cannot: Kestrel's threads, and any client on the same machine, need those cores.
    /// Measured in-process with BERT-mini (ONNX, 2 intra-op threads, one tweet per call) on 2 loaded cores: 255–304 texts
    /// per CPU-second spinning, 570–650 without, at a throughput no lower.
    /// </summary>
    public static OnnxPredictorOptions OnnxOptions { get; } = new() { AllowSpinning = false };

    /// <summary>
    /// The engines a server loads: linear and ONNX only. They are used directly, never through the process-wide
    /// <see cref="ModelEngines"/> registry, so a server never reaches the transformer engine (or TorchSharp) even in a
    /// process that registered it.
    /// </summary>
    // After OnnxOptions: static initializers run in textual order.
    public static IReadOnlyList<IModelEngine> Engines { get; } = [new LinearEngine(), new OnnxEngine(OnnxOptions)];

    /// <summary>The message for a transformer package: it has to be exported to ONNX first.</summary>
    public static string ExportFirstMessage(string directory) =>
        $"a transformer (TorchSharp) model cannot be served; export it first: classify export --model {directory} --format onnx -o OUT";

    /// <summary>
    /// Loads a local package with the linear or onnx engine. A transformer package or a Hugging Face checkpoint folder is
    /// refused with <see cref="ExportFirstMessage"/>.
    /// </summary>
    /// <exception cref="InputException">Missing folder, not a servable package, a broken package, or a package default of Monte-Carlo samples that the model cannot give.</exception>
    /// <param name="spec">The name and folder.</param>
    /// <param name="onnxThreads">Intra-op threads of an ONNX model's session (null: one per core, <see cref="OnnxOptions"/>).</param>
    public static ServedModel Load(ModelSpec spec, int? onnxThreads = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        IReadOnlyList<IModelEngine> engines = onnxThreads is { } threads ? [new LinearEngine(), new OnnxEngine(OnnxOptions with { Threads = threads })] : Engines;
        var directory = Path.GetFullPath(spec.Directory);
        if (!System.IO.Directory.Exists(directory))
            throw new InputException(File.Exists(directory) ? "expected a model folder, got a file" : "model folder not found", spec.Directory, field: "--model");
        var manifest = File.Exists(Path.Combine(directory, ModelManifest.FileName)) ? ModelManifest.Load(directory) : null;
        var engine = engines.FirstOrDefault(e => e.CanLoad(directory, manifest));
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
