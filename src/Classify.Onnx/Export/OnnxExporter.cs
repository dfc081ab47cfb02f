using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Google.Protobuf;
using Onnx;

namespace Classify.Onnx.Export;

/// <summary>Weight precision of an exported graph.</summary>
public enum OnnxQuantization
{
    /// <summary>float32 throughout, as the checkpoint.</summary>
    None,
    /// <summary>Dynamic int8: linear-layer weights per output channel and embedding tables per row; activations quantized per call.</summary>
    Int8,
}

/// <summary>Settings of <see cref="OnnxExporter.Export"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>float32 (default) or dynamic int8.</summary>
    public OnnxQuantization Quantization { get; init; } = OnnxQuantization.None;

    /// <summary>
    /// Keeps the model's dropout layers as ONNX <c>Dropout</c> nodes (where and with the probabilities Hugging Face
    /// applies them) switched by one boolean graph input, <c>mc_dropout</c>: false gives the evaluation graph's scores,
    /// true one Monte-Carlo-dropout sample (<c>classify export --mc-dropout</c>; docs/deploy.md). Off by default.
    /// </summary>
    public bool McDropout { get; init; }
}

/// <summary>What <see cref="OnnxExporter.Export"/> wrote.</summary>
/// <param name="Directory">The package folder.</param>
/// <param name="ModelType">The exported family (<c>bert</c>, <c>roberta</c>, <c>distilbert</c>, <c>modernbert</c>).</param>
/// <param name="Quantization">The weight precision.</param>
/// <param name="ModelBytes">Size of <c>model.onnx</c>.</param>
/// <param name="NodeCount">Nodes in the graph.</param>
/// <param name="DropoutNodes">Switchable <c>Dropout</c> nodes in the graph (0 without <see cref="OnnxExportOptions.McDropout"/>).</param>
public sealed record OnnxExportResult(string Directory, string ModelType, OnnxQuantization Quantization, long ModelBytes, int NodeCount, int DropoutNodes = 0);

/// <summary>
/// Exports a Hugging Face sequence classifier (a Classify transformer package or a plain HF folder with
/// <c>model.safetensors</c>) to an ONNX package: <c>model.onnx</c>, <c>config.json</c> with <c>id2label</c>, the tokenizer
/// files and <c>classify.json</c> (engine <c>onnx</c>). The graph is written from C# — weights read from safetensors,
/// no tensor library — one builder per family (<c>BertOnnx</c>, <c>RobertaOnnx</c>, <c>DistilBertOnnx</c>,
/// <c>ModernBertOnnx</c>), with standard opset-17 operators, dynamic batch and sequence axes and the attention mask as an
/// input. Python's <c>onnxruntime</c> runs the file as it is.
/// </summary>
public static class OnnxExporter
{
    /// <summary>File name of the graph inside a package (as Hugging Face Optimum names it).</summary>
    public const string ModelFileName = "model.onnx";

    /// <summary>Graph metadata key: the number of switchable <c>Dropout</c> nodes of an <see cref="OnnxExportOptions.McDropout"/> export.</summary>
    public const string DropoutNodesMetadataKey = "classify.dropout_nodes";

    /// <summary>The engine name of the packages a Classify transformer package is exported from.</summary>
    public const string SourceEngineName = "transformer";

    /// <summary>The <c>model_type</c>s that can be exported.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["bert", "roberta", "distilbert", "modernbert"];

    /// <summary>Files copied beside the graph when the source has them: everything a tokenizer may load.</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt"];

    /// <summary>
    /// Exports <paramref name="modelDirectory"/> into <paramref name="outputDirectory"/>, which must not exist or be empty.
    /// The source is validated as a predictor would load it (config, labels, tokenizer, every weight the graph needs).
    /// </summary>
    /// <exception cref="InputException">An unsupported source (a linear package, an ONNX package, another family, no
    /// safetensors weights), a missing weight, or a non-empty output folder.</exception>
    public static OnnxExportResult Export(string modelDirectory, string outputDirectory, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        options ??= new OnnxExportOptions();
        var source = Path.GetFullPath(modelDirectory);
        var target = Path.GetFullPath(outputDirectory);
        if (!Directory.Exists(source)) throw new InputException("model folder not found", source);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new InputException("the output folder exists and is not empty; give a new folder", target, field: "-o");

        var manifest = File.Exists(Path.Combine(source, ModelManifest.FileName)) ? ModelManifest.Load(source) : null;
        if (manifest is not null && manifest.Engine != SourceEngineName)
            throw new InputException($"a package of the {manifest.Engine} engine cannot be exported to ONNX; export a transformer package or a Hugging Face folder",
                Path.Combine(source, ModelManifest.FileName), field: "engine");
        var config = PretrainedConfig.Load(source).ToFamilyConfig();
        if (config.ModelType is not { } modelType || !SupportedModelTypes.Contains(modelType))
            throw new InputException($"model_type '{config.ModelType}' cannot be exported; expected {string.Join(", ", SupportedModelTypes)}",
                config.SourcePath, field: "model_type");
        // Labels, tokenizer, max_length and vocabulary checked exactly as the predictors check them.
        var folder = ClassifierFolder.Open(source, SourceEngineName, manifest, config: config);
        if (!File.Exists(Path.Combine(source, SafeTensorsCheckpoint.WeightsName)) && !File.Exists(Path.Combine(source, SafeTensorsCheckpoint.IndexName)))
            throw new InputException($"no {SafeTensorsCheckpoint.WeightsName} here; ONNX export reads safetensors weights (convert pickled weights first)", source);

        ModelProto model;
        using (var weights = SafeTensorsCheckpoint.Open(source))
            model = Build(folder.Config, weights, weights.SourcePath, options.McDropout);
        if (options.Quantization == OnnxQuantization.Int8) DynamicQuantizer.QuantizeInt8(model);

        Directory.CreateDirectory(target);
        var modelPath = Path.Combine(target, ModelFileName);
        var temporary = modelPath + ".tmp";
        using (var stream = File.Create(temporary)) model.WriteTo(stream);
        File.Move(temporary, modelPath, overwrite: true);
        foreach (var name in TokenizerFiles)
            if (File.Exists(Path.Combine(source, name))) File.Copy(Path.Combine(source, name), Path.Combine(target, name));

        // config.json carries the labels for tools that read only it (Optimum, onnxruntime users).
        var exportedConfig = folder.Config.Clone();
        exportedConfig.SetLabels(folder.Manifest.Labels);
        if (folder.Manifest.Schema.Kind == Core.Labels.TaskKind.Multilabel) exportedConfig.ProblemType = "multi_label_classification";
        exportedConfig.Save(target);

        var engineOptions = folder.Manifest.EngineOptions?.DeepClone() as JsonObject ?? new JsonObject();
        engineOptions["max_length"] = folder.Inputs.MaxLength;
        engineOptions["model_type"] = modelType;
        engineOptions["quantization"] = options.Quantization == OnnxQuantization.Int8 ? "int8" : "none";
        engineOptions["mc_dropout"] = options.McDropout;
        int dropoutNodes = model.Graph.Node.Count(n => n.OpType == "Dropout");
        (folder.Manifest with
        {
            Engine = Engine.OnnxEngine.EngineName,
            EngineOptions = engineOptions,
            // The package's Monte-Carlo default (training's uncertainty: section) cannot run on a graph without dropout;
            // kept, it would make every default predict of the package fail. A graph with switchable dropout keeps it.
            Uncertainty = options.McDropout && dropoutNodes > 0 ? folder.Manifest.Uncertainty : null,
            ClassifyVersion = Core.ClassifyInfo.Version,
            CreatedUtc = DateTime.UtcNow,
        }).Save(target);
        return new OnnxExportResult(target, modelType, options.Quantization, new FileInfo(modelPath).Length, model.Graph.Node.Count, dropoutNodes);
    }

    /// <summary>
    /// The float32 graph of a sequence classifier of a supported family; with <paramref name="mcDropout"/>, with its
    /// dropout layers switched by the <c>mc_dropout</c> input (<see cref="OnnxExportOptions.McDropout"/>).
    /// </summary>
    internal static ModelProto Build(PretrainedConfig config, ISafeTensorsReader weights, string weightsPath, bool mcDropout = false)
    {
        var g = new OnnxGraph($"{config.ModelType}_for_sequence_classification", weights, weightsPath);
        if (mcDropout) g.EnableDropout();
        switch (config)
        {
            case RobertaConfig roberta: RobertaOnnx.ForSequenceClassification(g, roberta); break;   // before BERT: it derives from BertConfig
            case BertConfig bert: BertOnnx.ForSequenceClassification(g, bert); break;
            case DistilBertConfig distil: DistilBertOnnx.ForSequenceClassification(g, distil); break;
            case ModernBertConfig modern: ModernBertOnnx.ForSequenceClassification(g, modern); break;
            default:
                throw new InputException($"model_type '{config.ModelType}' cannot be exported; expected {string.Join(", ", SupportedModelTypes)}",
                    config.SourcePath, field: "model_type");
        }
        var metadata = new Dictionary<string, string> { ["classify.model_type"] = config.ModelType ?? "" };
        if (mcDropout) metadata[DropoutNodesMetadataKey] = g.DropoutCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return g.ToModel(metadata);
    }
}
