using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using Classify.Transformers.Training;
using static TorchSharp.torch;

namespace Classify.Transformers.Engine;

/// <summary>Inference settings of a <see cref="TransformerPredictor"/>.</summary>
public sealed record TransformerPredictorOptions
{
    /// <summary>The defaults: batches of 32, max_length from the package, one intra-op thread per core.</summary>
    public static TransformerPredictorOptions Default { get; } = new();

    /// <summary>Inputs per forward pass. Inputs are sorted by length first, so each batch is padded only to its own longest.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Overrides the package's <c>max_length</c> (capped at what the model's position table allows).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Intra-op threads for torch (default <see cref="Environment.ProcessorCount"/>); applies to the first load in a process.</summary>
    public int? Threads { get; init; }
}

/// <summary>
/// Predicts with a Hugging Face sequence-classification model: a Classify package (<c>classify.json</c> with engine
/// <c>transformer</c> beside the HF files) or any plain HF folder (<c>config.json</c>, <c>model.safetensors</c>, tokenizer
/// files), whose labels then come from <c>id2label</c> and whose task from <c>problem_type</c>.
/// </summary>
/// <remarks>
/// Inputs are tokenized by the trainer's <see cref="ContextEncoder"/> (so context turns are encoded as in training)
/// without padding, ordered by length and cut into batches that are padded only to their
/// longest member (dynamic padding), so short texts never pay for long ones; results come back in input order.
/// Because padding is masked, a text's probabilities do not depend on the batch it lands in. Logits are divided by
/// the manifest's temperature, then go through a softmax (binary, multiclass) or per-label sigmoids (multilabel).
/// </remarks>
public sealed class TransformerPredictor : IPredictor
{
    /// <summary>The engine name written in <c>classify.json</c>.</summary>
    public const string EngineName = "transformer";

    /// <summary>Default <c>max_length</c> when neither the package nor the tokenizer gives one.</summary>
    public const int DefaultMaxLength = 512;

    private readonly TaskKind _task;
    private readonly int _padId;
    private readonly bool _usesTokenTypes;
    private readonly int _batchSize;
    private readonly ContextEncoder _encoder;

    private TransformerPredictor(string directory, ModelManifest manifest, SequenceClassificationModel model,
        PreTrainedTokenizer tokenizer, int maxLength, int batchSize)
    {
        Directory = directory;
        Manifest = manifest;
        Model = model;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        _batchSize = batchSize;
        _task = manifest.Schema.Kind;
        _encoder = new ContextEncoder(tokenizer, maxLength, manifest.Context);
        _padId = tokenizer.PadTokenId ?? (model.Config.Json["pad_token_id"]?.GetValue<int>() ?? 0);
        // Only BERT has a token-type table with a row per segment; RoBERTa's has one row and the others none.
        _usesTokenTypes = model.Config.ModelType == BertConfig.Type;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <inheritdoc />
    public ModelManifest Manifest { get; }

    /// <summary>The model, in eval mode.</summary>
    public SequenceClassificationModel Model { get; }

    /// <summary>The tokenizer loaded from the folder.</summary>
    public PreTrainedTokenizer Tokenizer { get; }

    /// <summary>Tokens per input, special tokens included; longer inputs are truncated (<c>longest_first</c> for pairs).</summary>
    public int MaxLength { get; }

    /// <summary>
    /// Loads a model folder. <paramref name="manifest"/> is the folder's <c>classify.json</c> when it has one (read here
    /// when null and present); without one the manifest is synthesised from <c>config.json</c>
    /// (see <see cref="ManifestFromConfig"/>).
    /// </summary>
    /// <exception cref="InputException">Missing or malformed files, pickled-only weights, or labels that do not match the model.</exception>
    public static TransformerPredictor Load(string modelDirectory, ModelManifest? manifest = null, TransformerPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        options ??= TransformerPredictorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var directory = Path.GetFullPath(modelDirectory);
        if (!System.IO.Directory.Exists(directory)) throw new InputException("model folder not found", directory);
        if (manifest is null && File.Exists(Path.Combine(directory, ModelManifest.FileName))) manifest = ModelManifest.Load(directory);

        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        manifest ??= ManifestFromConfig(config);
        if (manifest.Engine != EngineName)
            throw new InputException($"engine is '{manifest.Engine}', not '{EngineName}'", Path.Combine(directory, ModelManifest.FileName), field: "engine");
        if (config.NumLabels != manifest.Labels.Count)
            throw new InputException(
                $"config.json has {config.NumLabels} labels but {ModelManifest.FileName} lists {manifest.Labels.Count}",
                Path.Combine(directory, PretrainedConfig.FileName), field: "id2label");

        var tokenizer = AutoTokenizer.FromPretrained(directory);
        var maxLength = ResolveMaxLength(directory, manifest, config, tokenizer, options.MaxLength);

        TorchRuntime.EnsureInitialized(options.Threads);
        var model = AutoModelForSequenceClassification.FromPretrained(directory);
        model.eval();
        return new TransformerPredictor(directory, manifest, model, tokenizer, maxLength, options.BatchSize);
    }

    /// <summary>
    /// The manifest of a plain HF folder: labels from <c>id2label</c> (<c>LABEL_0</c>, <c>LABEL_1</c> … when absent, as
    /// transformers names them), task <c>multilabel</c> when <c>problem_type</c> is <c>multi_label_classification</c>,
    /// else <c>binary</c> for two labels and <c>multiclass</c> for more.
    /// </summary>
    /// <exception cref="InputException">The config describes a regression model (one output).</exception>
    public static ModelManifest ManifestFromConfig(PretrainedConfig config)
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
            Engine = EngineName,
            Task = task.ToName(),
            Labels = labels,
            EngineOptions = new System.Text.Json.Nodes.JsonObject { ["model_type"] = config.ModelType },
        };
    }

    /// <summary>
    /// <c>max_length</c>: the override, else <c>engine_options.max_length</c> from the package, else the tokenizer's
    /// <c>model_max_length</c> (512 when the tokenizer sets none); always capped at the positions the model can embed.
    /// </summary>
    private static int ResolveMaxLength(string directory, ModelManifest manifest, PretrainedConfig config, PreTrainedTokenizer tokenizer, int? overrideLength)
    {
        var reader = new ConfigReader(manifest.EngineOptions, "engine_options", Path.Combine(directory, ModelManifest.FileName));
        var packaged = reader.NullableInt("max_length");
        var fromTokenizer = tokenizer.ModelMaxLength >= 1_000_000 ? DefaultMaxLength : tokenizer.ModelMaxLength;
        var requested = overrideLength ?? packaged ?? fromTokenizer;
        if (requested < 2) throw reader.Error("max_length", $"max_length must be at least 2, found {requested}");
        return Math.Min(requested, PositionLimit(config));
    }

    /// <summary>The longest sequence the position table covers; RoBERTa's positions start after its padding index.</summary>
    internal static int PositionLimit(PretrainedConfig config) => config switch
    {
        RobertaConfig r => r.MaxPositionEmbeddings - r.PadTokenId - 1,
        BertConfig b => b.MaxPositionEmbeddings,
        DistilBertConfig d => d.MaxPositionEmbeddings,
        ModernBertConfig m => m.MaxPositionEmbeddings,
        _ => DefaultMaxLength,
    };

    /// <inheritdoc />
    public ScoreLink Link => LinkFunction.ForTask(_task);

    /// <inheritdoc />
    public bool SupportsDropout => false;

    /// <inheritdoc />
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
    {
        if (mode.Dropout) throw new NotSupportedException("dropout passes are not supported yet");
        return PredictLogits(inputs, cancellationToken).Select(r => r.Select(v => (double)v).ToArray()).ToArray();
    }

    /// <summary>Raw logits (before temperature), one row per input in input order; for calibration and diagnostics.</summary>
    public float[][] PredictLogits(IReadOnlyList<TextInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var encodings = Encode(inputs);
        var order = Enumerable.Range(0, encodings.Length).OrderBy(i => encodings[i].Length).ToArray();   // stable
        var result = new float[inputs.Count][];
        using var _ = inference_mode();
        for (int start = 0; start < order.Length; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(_batchSize, order.Length - start)).ToArray();
            var rows = ForwardBatch(batch.Select(i => encodings[i]).ToArray());
            for (int k = 0; k < batch.Length; k++) result[batch[k]] = rows[k];
        }
        return result;
    }

    /// <summary>Tokenizes inputs exactly as the trainer did: the text, with its context turns as the second segment.</summary>
    internal Encoding[] Encode(IReadOnlyList<TextInput> inputs)
    {
        var encodings = new Encoding[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) encodings[i] = _encoder.Encode(inputs[i].Text ?? "", inputs[i].Context);
        return encodings;
    }

    // One padded forward pass; rows in the order of the encodings given.
    private float[][] ForwardBatch(Encoding[] encodings)
    {
        using var scope = NewDisposeScope();
        int rows = encodings.Length, length = encodings.Max(e => e.Length);
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var types = _usesTokenTypes ? new long[rows * length] : null;
        Array.Fill(ids, _padId);
        for (int r = 0; r < rows; r++)
        {
            var e = encodings[r];
            for (int j = 0; j < e.Length; j++)
            {
                ids[r * length + j] = e.InputIds[j];
                mask[r * length + j] = e.AttentionMask[j];
                if (types != null) types[r * length + j] = e.TokenTypeIds[j];
            }
        }
        var shape = new long[] { rows, length };
        var output = Model.Forward(tensor(ids, shape), tensor(mask, shape), types is null ? null : tensor(types, shape));
        using var logits = output.Logits.to_type(ScalarType.Float32).contiguous();
        var flat = logits.data<float>().ToArray();
        output.Dispose();
        int labels = (int)logits.shape[1];
        var result = new float[rows][];
        for (int r = 0; r < rows; r++) result[r] = flat.AsSpan(r * labels, labels).ToArray();
        return result;
    }

    /// <summary>
    /// Probabilities from one row of logits: divided by <paramref name="temperature"/>, then a softmax
    /// (binary, multiclass) or independent sigmoids (multilabel), computed in double precision.
    /// </summary>
    public static double[] ToProbabilities(ReadOnlySpan<float> logits, TaskKind task, double temperature = 1.0)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive");
        var p = new double[logits.Length];
        if (task == TaskKind.Multilabel)
        {
            for (int k = 0; k < p.Length; k++) p[k] = 1.0 / (1.0 + Math.Exp(-logits[k] / temperature));
            return p;
        }
        double max = double.NegativeInfinity, sum = 0;
        for (int k = 0; k < p.Length; k++) max = Math.Max(max, logits[k] / temperature);
        for (int k = 0; k < p.Length; k++) sum += p[k] = Math.Exp(logits[k] / temperature - max);
        for (int k = 0; k < p.Length; k++) p[k] /= sum;
        return p;
    }

    /// <summary>Releases the model's tensors.</summary>
    public void Dispose() => Model.Dispose();
}
