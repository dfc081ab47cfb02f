using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Inference;

/// <summary>
/// A Hugging Face sequence-classification folder opened for prediction, everything but the weights: a Classify
/// package (<c>classify.json</c> beside the HF files) or any plain HF folder (<c>config.json</c>, weights, tokenizer
/// files), whose labels then come from <c>id2label</c> and whose task from <c>problem_type</c>. An engine adds only
/// the forward pass (TorchSharp, ONNX Runtime …) and scores through <see cref="Inputs"/>. <c>config.json</c> is read
/// once, here; engines build their model from <see cref="Config"/>.
/// </summary>
public sealed class ClassifierFolder
{
    /// <summary>Default <c>max_length</c> when neither the package nor the tokenizer gives one.</summary>
    public const int DefaultMaxLength = 512;

    private ClassifierFolder(string directory, ModelManifest manifest, PretrainedConfig config, ClassifierInputs inputs)
    {
        Directory = directory;
        Manifest = manifest;
        Config = config;
        Inputs = inputs;
    }

    /// <summary>The folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The package manifest, or the one synthesised from <c>config.json</c> (see <see cref="ManifestFromConfig"/>).</summary>
    public ModelManifest Manifest { get; }

    /// <summary><c>config.json</c> as its family type (<see cref="BertConfig"/>, <see cref="RobertaConfig"/> …).</summary>
    public PretrainedConfig Config { get; }

    /// <summary>Tokenizer, <c>max_length</c>, context encoding and the batched scoring loop.</summary>
    public ClassifierInputs Inputs { get; }

    /// <summary>
    /// Opens <paramref name="directory"/> for engine <paramref name="engine"/>. <paramref name="manifest"/> is the
    /// folder's <c>classify.json</c> when it has one (read here when null and present).
    /// <paramref name="config"/>, when given, is the folder's already parsed <c>config.json</c> (it is not read again).
    /// <paramref name="maxLength"/> overrides the packaged <c>max_length</c> (see <see cref="ResolveMaxLength"/>).
    /// </summary>
    /// <exception cref="InputException">Missing or malformed files, a manifest of another engine, or labels that do not match the model.</exception>
    public static ClassifierFolder Open(string directory, string engine, ModelManifest? manifest = null, int? maxLength = null,
        PretrainedConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(engine);
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new InputException("model folder not found", full);
        if (manifest is null && File.Exists(Path.Combine(full, ModelManifest.FileName))) manifest = ModelManifest.Load(full);

        config ??= PretrainedConfig.Load(full);
        if (config.GetType() == typeof(PretrainedConfig)) config = config.ToFamilyConfig();   // names an unsupported model_type
        config.Validate();
        manifest ??= ManifestFromConfig(config, engine);
        if (manifest.Engine != engine)
            throw new InputException($"engine is '{manifest.Engine}', not '{engine}'", Path.Combine(full, ModelManifest.FileName), field: "engine");
        if (config.NumLabels != manifest.Labels.Count)
            throw new InputException(
                $"config.json has {config.NumLabels} labels but {ModelManifest.FileName} lists {manifest.Labels.Count}",
                Path.Combine(full, PretrainedConfig.FileName), field: "id2label");

        var tokenizer = AutoTokenizer.FromPretrained(full);
        CheckVocabulary(config, tokenizer, full);
        var length = ResolveMaxLength(manifest, Path.Combine(full, ModelManifest.FileName), config, tokenizer, maxLength);
        return new ClassifierFolder(full, manifest, config, new ClassifierInputs(tokenizer, config, length, manifest.Context));
    }

    /// <summary>
    /// The manifest of a plain HF folder: labels from <c>id2label</c> (<c>LABEL_0</c>, <c>LABEL_1</c> … when absent, as
    /// transformers names them), task <c>multilabel</c> when <c>problem_type</c> is <c>multi_label_classification</c>,
    /// else <c>binary</c> for two labels and <c>multiclass</c> for more.
    /// </summary>
    /// <exception cref="InputException">The config describes a regression model (one output).</exception>
    public static ModelManifest ManifestFromConfig(PretrainedConfig config, string engine)
    {
        ArgumentNullException.ThrowIfNull(config);
        var labels = config.LabelNames.Count > 0
            ? config.LabelNames
            : Enumerable.Range(0, config.NumLabels).Select(i => $"LABEL_{i}").ToList();
        if (config.ProblemType == "regression" || labels.Count < 2)
            throw new InputException("this is a regression model (one output); Classify needs a classifier with at least two labels",
                config.SourcePath, field: config.ProblemType == "regression" ? "problem_type" : "num_labels");
        var task = config.ProblemType == "multi_label_classification" ? TaskKind.Multilabel
            : labels.Count == 2 ? TaskKind.Binary : TaskKind.Multiclass;
        return new ModelManifest
        {
            Engine = engine,
            Task = task.ToName(),
            Labels = labels,
            EngineOptions = new System.Text.Json.Nodes.JsonObject { ["model_type"] = config.ModelType },
        };
    }

    /// <summary>
    /// <c>max_length</c>: <paramref name="overrideLength"/>, else <c>engine_options.max_length</c> from the manifest,
    /// else the tokenizer's <c>model_max_length</c> (<see cref="DefaultMaxLength"/> when the tokenizer sets none);
    /// always capped at the positions the model can embed (<see cref="PositionLimit"/>).
    /// </summary>
    /// <exception cref="InputException">A length below 2 (naming <paramref name="manifestPath"/> and the key).</exception>
    public static int ResolveMaxLength(ModelManifest manifest, string? manifestPath, PretrainedConfig config, PreTrainedTokenizer tokenizer,
        int? overrideLength = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var reader = new ConfigReader(manifest.EngineOptions, "engine_options", manifestPath);
        var packaged = reader.NullableInt("max_length");
        var fromTokenizer = tokenizer.ModelMaxLength >= 1_000_000 ? DefaultMaxLength : tokenizer.ModelMaxLength;
        var requested = overrideLength ?? packaged ?? fromTokenizer;
        if (requested < 2) throw reader.Error("max_length", $"max_length must be at least 2, found {requested}");
        return Math.Min(requested, PositionLimit(config));
    }

    /// <summary>
    /// Checks that every id <paramref name="tokenizer"/> can produce (its vocabulary and added tokens) has a row in the
    /// model's embedding table (<c>vocab_size</c>), so no text can make the embedding lookup index past it.
    /// </summary>
    /// <exception cref="InputException">Naming the tokenizer file, its highest id and <c>vocab_size</c>.</exception>
    public static void CheckVocabulary(PretrainedConfig config, PreTrainedTokenizer tokenizer, string tokenizerDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (VocabSize(config) is not { } vocab || tokenizer.Count <= vocab) return;
        var file = tokenizer switch
        {
            BertTokenizer => BertTokenizer.VocabFileName,
            RobertaTokenizer => RobertaTokenizer.VocabFileName,
            _ => PreTrainedTokenizerFast.TokenizerFileName,
        };
        var highest = tokenizer.Count - 1;
        var token = tokenizer.IdToToken(highest) is { } t ? $" ('{t}')" : "";
        throw new InputException(
            $"the tokenizer has ids up to {highest}{token} but {PretrainedConfig.FileName} sets vocab_size {vocab}: " +
            "the model's embedding table has no row for the ids above it",
            Path.Combine(tokenizerDirectory, file));
    }

    /// <summary><c>vocab_size</c> of a supported family's config (null for an unknown family).</summary>
    public static int? VocabSize(PretrainedConfig config) =>
        (config.GetType() == typeof(PretrainedConfig) ? PretrainedConfig.FromJson(config.Json, config.SourcePath) : config) switch
        {
            BertConfig b => b.VocabSize,
            DistilBertConfig d => d.VocabSize,
            ModernBertConfig m => m.VocabSize,
            _ => null,
        };

    /// <summary>The longest sequence the position table covers; RoBERTa's positions start after its padding index.</summary>
    public static int PositionLimit(PretrainedConfig config) =>
        (config.GetType() == typeof(PretrainedConfig) ? PretrainedConfig.FromJson(config.Json, config.SourcePath) : config) switch
    {
        RobertaConfig r => r.MaxPositionEmbeddings - r.PadTokenId - 1,
        BertConfig b => b.MaxPositionEmbeddings,
        DistilBertConfig d => d.MaxPositionEmbeddings,
        ModernBertConfig m => m.MaxPositionEmbeddings,
        _ => DefaultMaxLength,
    };
}
