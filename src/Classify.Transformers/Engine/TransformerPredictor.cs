using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using Classify.Transformers.Training;
using System.Text.Json.Nodes;
using TorchSharp;
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

    /// <summary>
    /// Receives load warnings (checkpoint tensors the model does not use, as HF's "Some weights of the model checkpoint
    /// … were not used"). Null (the default) writes them to standard error as <c>warning: …</c>.
    /// </summary>
    public Action<string>? Warn { get; init; }

    /// <summary>
    /// Whether the forward passes run in bfloat16 (weights cast on load; logits and probabilities come back as float32).
    /// True requires a CPU with <c>avx512_bf16</c> or <c>amx_bf16</c> (<see cref="Training.Bf16Support"/>) and fails
    /// elsewhere. Null (the default) follows the environment variable <see cref="Bf16Variable"/> (<c>1</c> or <c>0</c>)
    /// when set, else the package: one trained with <c>bf16: true</c> (<c>engine_options.bf16</c> in classify.json)
    /// predicts in bfloat16 where the CPU supports it and in float32, with a warning, where it does not.
    /// </summary>
    public bool? Bf16 { get; init; }

    /// <summary>The environment variable that chooses bfloat16 inference when <see cref="Bf16"/> is null: <c>CLASSIFY_BF16</c>.</summary>
    public const string Bf16Variable = "CLASSIFY_BF16";
}

/// <summary>
/// Predicts with a Hugging Face sequence-classification model: a Classify package (<c>classify.json</c> with engine
/// <c>transformer</c> beside the HF files) or any plain HF folder (<c>config.json</c>, <c>model.safetensors</c>, tokenizer
/// files), whose labels then come from <c>id2label</c> and whose task from <c>problem_type</c>. Scores are the logits;
/// probabilities come from <see cref="LinkFunction"/> (softmax, or a sigmoid per label for multi-label models).
/// </summary>
/// <remarks>
/// Everything but the forward pass is <see cref="ClassifierFolder"/> and <see cref="ClassifierInputs"/> (Classify.HuggingFace):
/// inputs are tokenized by the trainer's <see cref="ContextEncoder"/>, ordered by length and cut into batches padded
/// only to their longest member, and results come back in input order. Because padding is masked, a text's scores do
/// not depend on the batch it lands in.
/// </remarks>
public sealed class TransformerPredictor : IMultiPassPredictor
{
    /// <summary>The engine name written in <c>classify.json</c>.</summary>
    public const string EngineName = "transformer";

    private readonly int _batchSize;
    private readonly bool _ownsModel;

    internal TransformerPredictor(string? directory, ModelManifest manifest, SequenceClassificationModel model, ClassifierInputs inputs,
        int batchSize, bool ownsModel = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Directory = directory;
        Manifest = manifest;
        Model = model;
        Inputs = inputs;
        Link = LinkFunction.ForTask(manifest.Schema.Kind);
        _batchSize = batchSize;
        _ownsModel = ownsModel;
    }

    /// <summary>The model folder, or null for a model held in memory (a trainer's result before it is saved).</summary>
    public string? Directory { get; }

    /// <inheritdoc />
    public ModelManifest Manifest { get; }

    /// <inheritdoc />
    public ScoreLink Link { get; }

    /// <summary>True: <see cref="ForwardMode.WithDropout"/> runs a real dropout pass (see <see cref="PredictScores"/>).</summary>
    public bool SupportsDropout => true;

    /// <summary>The model (in eval mode between calls).</summary>
    public SequenceClassificationModel Model { get; }

    /// <summary>The tokenizer loaded from the folder.</summary>
    public PreTrainedTokenizer Tokenizer => Inputs.Tokenizer;

    /// <summary>Tokens per input, special tokens included; longer inputs are truncated (oldest context turns first).</summary>
    public int MaxLength => Inputs.MaxLength;

    /// <summary>Tokenization, padding and the batched scoring loop.</summary>
    internal ClassifierInputs Inputs { get; }

    /// <summary>True when some dropout probability of the model's config is above 0 (otherwise every dropout pass is the deterministic one).</summary>
    public bool HasDropout => ModelDropout.Any(Model.Config);

    /// <summary>
    /// Loads a model folder. <paramref name="manifest"/> is the folder's <c>classify.json</c> when it has one (read here
    /// when null and present); without one the manifest is synthesised from <c>config.json</c>
    /// (see <see cref="ClassifierFolder.ManifestFromConfig"/>).
    /// </summary>
    /// <exception cref="InputException">Missing or malformed files, pickled-only weights, or labels that do not match the model.</exception>
    public static TransformerPredictor Load(string modelDirectory, ModelManifest? manifest = null, TransformerPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        options ??= TransformerPredictorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        return Load(ClassifierFolder.Open(modelDirectory, EngineName, manifest, options.MaxLength), options);
    }

    /// <summary>Builds the model of an opened folder (its config is not read again).</summary>
    /// <remarks>
    /// Every parameter shape the config implies is checked against the weights' header before torch is even loaded, and
    /// every parameter must be in the weights: a checkpoint without its classification head would otherwise predict
    /// with a random one. Tensors the model does not use are a warning (<see cref="TransformerPredictorOptions.Warn"/>).
    /// </remarks>
    internal static TransformerPredictor Load(ClassifierFolder folder, TransformerPredictorOptions options)
    {
        using var weights = CheckedWeights.Open(folder.Config, folder.Directory, WeightLoadMode.Strict);
        TorchRuntime.EnsureInitialized(options.Threads);
        var model = AutoModelForSequenceClassification.Load(weights, out var report);
        if (report.UnexpectedKeys.Count > 0)
        {
            var message = $"{weights.Checkpoint.SourcePath}: {report.UnexpectedKeys.Count} tensor{(report.UnexpectedKeys.Count == 1 ? " is" : "s are")} " +
                          $"not used by {model.GetType().Name} and {(report.UnexpectedKeys.Count == 1 ? "was" : "were")} ignored: {ParameterPlan.ListNames(report.UnexpectedKeys)}";
            (options.Warn ?? (m => Console.Error.WriteLine($"warning: {m}")))(message);
        }
        model.eval();
        if (UseBf16(folder.Manifest, options)) model.to(ScalarType.BFloat16);
        return new TransformerPredictor(folder.Directory, folder.Manifest, model, folder.Inputs, options.BatchSize);
    }

    // The precision of a loaded model (see TransformerPredictorOptions.Bf16). An explicit request on a CPU without
    // bfloat16 is an error; the package's own setting only a warning, so a package trained on one host still runs on another.
    private static bool UseBf16(ModelManifest manifest, TransformerPredictorOptions options)
    {
        var variable = Environment.GetEnvironmentVariable(TransformerPredictorOptions.Bf16Variable);
        bool? requested = options.Bf16 ?? (variable?.Trim() switch
        {
            null or "" => null,
            "1" or "true" => true,
            "0" or "false" => false,
            _ => throw new InputException($"{TransformerPredictorOptions.Bf16Variable} must be 1 or 0, found '{variable}'", field: TransformerPredictorOptions.Bf16Variable),
        });
        bool fromPackage = manifest.EngineOptions?["bf16"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (!(requested ?? fromPackage)) return false;
        if (Bf16Support.Unsupported() is not { } why) return true;
        if (requested == true)
            throw new InputException(why.Replace("set bf16: false", $"predict in float32 (unset {TransformerPredictorOptions.Bf16Variable})"),
                field: options.Bf16 is null ? TransformerPredictorOptions.Bf16Variable : "bf16");
        (options.Warn ?? (m => Console.Error.WriteLine($"warning: {m}")))("the package was trained with bf16 but this CPU has no bfloat16 arithmetic; predicting in float32");
        return false;
    }

    /// <summary>
    /// Logits (before temperature), one row per input in input order, in <see cref="Core.Labels.LabelSchema.Labels"/> order.
    /// </summary>
    /// <remarks>
    /// <para><see cref="ForwardMode.Deterministic"/>: evaluation mode, length-sorted batches of
    /// <see cref="TransformerPredictorOptions.BatchSize"/>.</para>
    /// <para><see cref="ForwardMode.WithDropout"/>: one Monte-Carlo-dropout sample, the single-pass case of
    /// <see cref="PredictDropoutPasses"/> (batches of <see cref="TransformerPredictorOptions.BatchSize"/> rows).</para>
    /// </remarks>
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Score(Inputs.Encode(inputs), mode, _batchSize, observe: null, cancellationToken);
    }

    /// <summary>
    /// Logits of one Monte-Carlo-dropout pass per seed, <c>[pass][row][label]</c>: every (row, pass) pair is one row of
    /// a larger forward pass, at most <paramref name="maxRowsPerForward"/> of them per forward, ordered by length and
    /// padded to the longest of each forward.
    /// </summary>
    /// <remarks>
    /// Dropout is active (hidden, attention-probability and classifier dropouts, where and as Hugging Face applies
    /// them) and everything else is as in evaluation. Each (row, pass) pair draws its masks from its own generator,
    /// seeded from the pass seed and the row's token ids (and segment ids), over the row's real length only: a row's
    /// scores in a pass depend on (pass seed, input) alone, not on the other inputs, their order, the batch size or
    /// <paramref name="maxRowsPerForward"/> — up to the float rounding of batched products described in
    /// docs/transformers.md. Equal inputs get equal masks within a pass. torch's generator is not used. A model whose
    /// dropout probabilities are all 0 (ModernBERT checkpoints usually are) gives the deterministic scores in every pass.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">No seeds, or <paramref name="maxRowsPerForward"/> below 1.</exception>
    public double[][][] PredictDropoutPasses(IReadOnlyList<TextInput> inputs, IReadOnlyList<ulong> passSeeds, int maxRowsPerForward,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(passSeeds);
        return ScorePasses(Inputs.Encode(inputs), passSeeds, maxRowsPerForward, observe: null, cancellationToken);
    }

    /// <summary>
    /// Scores encodings through the one batched loop (<see cref="ClassifierInputs.Score(IReadOnlyList{Encoding}, int, Func{PaddedBatch, double[][]}, CancellationToken)"/>).
    /// <paramref name="observe"/>, when given, sees each batch's logits tensor before it is freed (the trainer's
    /// evaluation loss). The model's train/eval mode is restored afterwards.
    /// </summary>
    internal double[][] Score(IReadOnlyList<Encoding> encodings, ForwardMode mode, int batchSize, Action<PaddedBatch, Tensor>? observe,
        CancellationToken cancellationToken)
    {
        if (mode.Dropout) return ScorePasses(encodings, [mode.Seed], batchSize, observe, cancellationToken)[0];
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using var _ = inference_mode();
            return Inputs.Score(encodings, batchSize, batch => Forward(batch, observe, dropout: null), cancellationToken);
        }
        finally
        {
            Model.train(wasTraining);
        }
    }

    // The one Monte-Carlo path: pass k's copy of row r is item k·M + r of one list of N·M encodings, which the batched
    // loop sorts by length (stably, so copies of a row stay together) and cuts into forwards of maxRowsPerForward.
    private double[][][] ScorePasses(IReadOnlyList<Encoding> encodings, IReadOnlyList<ulong> passSeeds, int maxRowsPerForward,
        Action<PaddedBatch, Tensor>? observe, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passSeeds.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRowsPerForward, 1);
        int rows = encodings.Count, passes = passSeeds.Count;
        var items = new Encoding[checked(rows * passes)];
        for (int k = 0; k < passes; k++)
            for (int r = 0; r < rows; r++) items[k * rows + r] = encodings[r];
        bool wasTraining = Model.training;
        Model.eval();   // dropout comes from the row masks alone; nothing else of train() mode
        double[][] flat;
        try
        {
            using var _ = inference_mode();
            flat = Inputs.Score(items, maxRowsPerForward, batch => Forward(batch, observe,
                RowMasks(batch, batch.Rows.Select(item => passSeeds[item / Math.Max(rows, 1)]).ToArray())), cancellationToken);
        }
        finally
        {
            Model.train(wasTraining);
        }
        var result = new double[passes][][];
        for (int k = 0; k < passes; k++) result[k] = flat[(k * rows)..((k + 1) * rows)];
        return result;
    }

    // One padded forward pass; rows in the batch's order. With a dropout plan, its masks replace evaluation's identity.
    private double[][] Forward(PaddedBatch batch, Action<PaddedBatch, Tensor>? observe, RowDropout? dropout)
    {
        using var scope = NewDisposeScope();
        using var encoded = new EncodedBatch(batch);
        SequenceClassifierOutput output;
        using (dropout?.Activate())
            output = Model.Forward(encoded.InputIds, encoded.AttentionMask, encoded.TokenTypeIds);
        using var __ = output;
        observe?.Invoke(batch, output.Logits);
        using var logits = output.Logits.to_type(ScalarType.Float32).contiguous();
        var flat = logits.data<float>().ToArray();
        int labels = (int)logits.shape[1];
        var result = new double[batch.Count][];
        for (int r = 0; r < result.Length; r++)
        {
            var row = new double[labels];
            for (int k = 0; k < labels; k++) row[k] = flat[r * labels + k];
            result[r] = row;
        }
        return result;
    }

    /// <summary>
    /// The dropout plan of a batch: row b draws from a generator seeded by <paramref name="passSeeds"/>[b] and the row's
    /// unpadded token ids and segment ids, over its real length.
    /// </summary>
    internal static RowDropout RowMasks(PaddedBatch batch, IReadOnlyList<ulong> passSeeds)
    {
        int n = batch.Count, s = batch.SequenceLength;
        var generators = new SeededRandom[n];
        var lengths = new int[n];
        for (int b = 0; b < n; b++)
        {
            // Right padding: the real length ends after the last attended position.
            int length = s;
            while (length > 0 && batch.AttentionMask[b * s + length - 1] == 0) length--;
            lengths[b] = length;
            // FNV-1a over the ids, then the segment ids, of the unpadded row.
            ulong hash = 14695981039346656037UL;
            void Mix(long value)
            {
                for (int i = 0; i < 8; i++, value >>= 8)
                {
                    hash ^= (byte)value;
                    hash *= 1099511628211UL;
                }
            }
            for (int t = 0; t < length; t++) Mix(batch.InputIds[b * s + t]);
            if (batch.TokenTypeIds is { } types)
                for (int t = 0; t < length; t++) Mix(types[b * s + t]);
            generators[b] = SeededRandom.ForPurpose(passSeeds[b], $"mc-dropout-{hash:x16}");
        }
        return new RowDropout(generators, lengths, s);
    }

    /// <summary>Releases the model's tensors (unless the model belongs to a running trainer).</summary>
    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
