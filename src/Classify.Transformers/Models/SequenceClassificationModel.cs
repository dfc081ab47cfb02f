using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Base of the <c>*ForSequenceClassification</c> ports. Parameter names equal the checkpoint keys, so
/// <c>named_parameters()</c> lines up one to one with <c>model.safetensors</c>.
/// </summary>
public abstract class SequenceClassificationModel : nn.Module
{
    /// <summary>Creates the module tree; subclasses register their components.</summary>
    protected SequenceClassificationModel(string name, PretrainedConfig config) : base(name)
    {
        TorchRuntime.EnsureInitialized();
        Config = config;
        _vocabSize = ClassifierFolder.VocabSize(config) ?? long.MaxValue;
        _typeVocabSize = config is BertConfig bert ? bert.TypeVocabSize : null;
        _positionLimit = config is ModernBertConfig ? null : ClassifierFolder.PositionLimit(config);
    }

    private readonly long _vocabSize;
    private readonly long? _typeVocabSize;
    private readonly long? _positionLimit;

    /// <summary>The config the model was built from (its <c>problem_type</c> may be filled in by the loss).</summary>
    public PretrainedConfig Config { get; }

    /// <summary>Prefix of the encoder's keys (<c>bert</c>, <c>roberta</c>, <c>distilbert</c>, <c>model</c>), HF's <c>base_model_prefix</c>.</summary>
    public abstract string BaseModelPrefix { get; }

    /// <summary>Number of output labels.</summary>
    public int NumLabels => Config.NumLabels;

    /// <summary>
    /// Runs the model. <paramref name="inputIds"/> and <paramref name="attentionMask"/> are <c>[batch, seq]</c>
    /// int64 (mask 1 for real tokens, 0 for padding on the right); <paramref name="tokenTypeIds"/> is used by BERT
    /// only and defaults to zeros. Dropout is active in <c>train()</c> mode.
    /// </summary>
    public SequenceClassifierOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, bool outputHiddenStates = false)
    {
        using var scope = NewDisposeScope();
        CheckIndices(inputIds, tokenTypeIds);
        var mask = attentionMask ?? ones_like(inputIds);
        var hidden = outputHiddenStates ? new List<Tensor>() : null;
        var logits = ForwardCore(inputIds, mask, tokenTypeIds, hidden);
        var output = new SequenceClassifierOutput(logits.MoveToOuterDisposeScope(), hidden?.Select(h => h.MoveToOuterDisposeScope()).ToList());
        return output;
    }

    /// <summary>
    /// Refuses ids the embedding tables have no row for (a token id outside 0…vocab_size−1, a token type outside
    /// 0…type_vocab_size−1, more positions than the position table holds) with a message, before libtorch would fail
    /// on them with a native index error. Costs one min/max reduction per batch.
    /// </summary>
    private void CheckIndices(Tensor inputIds, Tensor? tokenTypeIds)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input ids must be [batch, seq], found [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        if (inputIds.numel() == 0) return;
        var file = Config.SourcePath ?? PretrainedConfig.FileName;
        var (low, high) = Range(inputIds);
        if (low < 0 || high >= _vocabSize)
            throw new Classify.Core.IO.InputException(
                $"token id {(low < 0 ? low : high)} has no row in the embedding table (vocab_size {_vocabSize}); the tokenizer and the model do not match",
                file, field: "vocab_size");
        if (_positionLimit is { } positions && inputIds.shape[1] > positions)
            throw new Classify.Core.IO.InputException(
                $"an input of {inputIds.shape[1]} tokens is longer than the {positions} positions the model embeds", file, field: "max_position_embeddings");
        if (tokenTypeIds is not null && _typeVocabSize is { } types && tokenTypeIds.numel() > 0)
        {
            var (lowType, highType) = Range(tokenTypeIds);
            if (lowType < 0 || highType >= types)
                throw new Classify.Core.IO.InputException(
                    $"token type id {(lowType < 0 ? lowType : highType)} has no row in the token type table (type_vocab_size {types})", file, field: "type_vocab_size");
        }
    }

    private static (long Low, long High) Range(Tensor ids)
    {
        using var low = ids.min();
        using var high = ids.max();
        return (low.to_type(ScalarType.Int64).item<long>(), high.to_type(ScalarType.Int64).item<long>());
    }

    /// <summary>The family's forward pass; appends hidden states to <paramref name="hiddenStates"/> when it is not null.</summary>
    protected abstract Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates);

    /// <summary>The floating-point type of the parameters.</summary>
    public ScalarType DType => parameters().First().dtype;

    /// <summary>
    /// Initialises every parameter as transformers' <c>_init_weights</c> does for a fresh model: linear and
    /// embedding weights from N(0, <c>initializer_range</c>) (truncated at ±<c>initializer_cutoff_factor</c>·std for
    /// ModernBERT), biases 0, norm weights 1.
    /// </summary>
    public void InitializeWeights(Generator? generator = null) => InitializeWeights(named_parameters().Select(p => p.name), generator);

    /// <summary>Initialises only the named parameters (e.g. a classifier head missing from a base checkpoint).</summary>
    public void InitializeWeights(IEnumerable<string> names, Generator? generator = null)
    {
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var std = Config.InitializerRange;
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (!wanted.Contains(name)) continue;
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (p.dim() == 1) p.fill_(1.0);                     // LayerNorm weight
            else InitializeMatrix(p, std, generator);
        }
        // As HF's _init_weights: an embedding's padding_idx row starts at zero.
        foreach (var (name, row) in PaddingRows())
        {
            if (!wanted.Contains(name)) continue;
            using var padding = named_parameters().First(np => np.name == name).parameter[row];
            padding.zero_();
        }
    }

    /// <summary>Embedding tables with a <c>padding_idx</c> and that row, which initialisation zeroes (none by default).</summary>
    protected virtual IEnumerable<(string Parameter, long Row)> PaddingRows() => [];

    /// <summary>How a weight matrix is drawn; ModernBERT overrides with a truncated normal.</summary>
    protected virtual void InitializeMatrix(Tensor weight, double std, Generator? generator)
    {
        // TorchSharp 0.107's nn.init.normal_ ignores its generator, so the draw is made with it explicitly.
        using var draw = randn(weight.shape, dtype: weight.dtype, device: weight.device, generator: generator);
        weight.copy_(draw.mul_(std));
    }

    /// <summary>
    /// Copies weights from a checkpoint by name. Every parameter's checkpoint tensor is found and its dtype and shape
    /// checked against the header first (<see cref="ParameterPlan.Match"/>), so a bad checkpoint is refused before a byte
    /// is read. <see cref="WeightLoadMode.Strict"/> (prediction) requires every parameter; <see cref="WeightLoadMode.NewHead"/>
    /// (fine-tuning a base encoder) initialises task-head parameters that are absent or of another shape, as HF does when
    /// it loads a base encoder into a classification model. Keys are matched as saved by transformers, also without the
    /// <see cref="BaseModelPrefix"/> (a base-model checkpoint), and TF-era <c>gamma</c>/<c>beta</c> names are mapped to
    /// <c>weight</c>/<c>bias</c>.
    /// </summary>
    /// <param name="checkpoint">The weights.</param>
    /// <param name="source">The file named in messages when <paramref name="checkpoint"/> is not a <see cref="SafeTensorsCheckpoint"/>.</param>
    /// <param name="mode">Whether head parameters may be missing.</param>
    /// <returns>The initialised and the ignored keys, like HF's load warning.</returns>
    /// <exception cref="Classify.Core.IO.InputException">A parameter is missing (listing up to ten), or a shape or dtype is wrong.</exception>
    public WeightLoadReport LoadWeights(ISafeTensorsReader checkpoint, string source = "checkpoint", WeightLoadMode mode = WeightLoadMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return LoadWeights(checkpoint, ParameterPlan.For(Config).Match(checkpoint, mode, source));
    }

    /// <summary>Copies the tensors <paramref name="match"/> (made from this model's config) assigns, and initialises the rest.</summary>
    internal WeightLoadReport LoadWeights(ISafeTensorsReader checkpoint, WeightMatch match)
    {
        var initialise = match.Missing.Concat(match.Mismatched.Select(m => m.Name)).ToHashSet(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                if (!match.Keys.TryGetValue(name, out var key))
                {
                    if (!initialise.Contains(name)) throw new InvalidOperationException($"the parameter plan has no entry for '{name}'");
                    continue;
                }
                var info = checkpoint.Tensors[key];
                if (!info.Shape.AsSpan().SequenceEqual(p.shape))
                    throw new InvalidOperationException($"the parameter plan gives '{name}' the shape {info.ShapeText}; the module has [{string.Join(", ", p.shape)}]");
                using var value = tensor(checkpoint.ReadFloat32(key), p.shape, ScalarType.Float32);
                p.copy_(value);
            }
        }
        InitializeWeights(initialise);
        return new WeightLoadReport(match.Missing, match.Unexpected)
        {
            MismatchedKeys = match.Mismatched.Select(m => $"{m.Name}: found shape {m.Found} in the checkpoint and {m.Expected} in the model").ToList(),
        };
    }

    /// <summary>
    /// True for parameters a checkpoint may lack: the task head (<c>classifier.*</c> and the family's extra head
    /// layers). HF initialises these randomly with a warning.
    /// </summary>
    protected virtual bool IsHeadParameter(string name) => name.StartsWith("classifier.", StringComparison.Ordinal);

    /// <summary><see cref="IsHeadParameter"/>, for the plan consistency tests.</summary>
    internal bool IsHead(string name) => IsHeadParameter(name);

    /// <summary>The state dict as safetensors entries with the checkpoint names, in float32 (or bfloat16).</summary>
    public IReadOnlyList<SafeTensorsEntry> ToSafeTensors(bool bfloat16 = false)
    {
        var entries = new List<SafeTensorsEntry>();
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            using var cpu = p.detach().cpu().to_type(ScalarType.Float32).contiguous();
            var values = cpu.data<float>().ToArray();
            if (!bfloat16)
            {
                entries.Add(SafeTensorsEntry.FromFloat32(name, p.shape, values));
                continue;
            }
            var bytes = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++)
                BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), ToBFloat16(values[i]));
            entries.Add(new SafeTensorsEntry(name, SafeTensorsDType.BF16, p.shape, bytes));
        }
        return entries;
    }

    // Round to nearest even, as torch's float → bfloat16 cast does; NaN stays a quiet NaN.
    private static ushort ToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>
    /// Writes an HF model folder: <c>config.json</c> and <c>model.safetensors</c> (float32 unless
    /// <paramref name="bfloat16"/>), loadable by transformers' <c>from_pretrained</c> and by <see cref="AutoModelForSequenceClassification"/>.
    /// </summary>
    public void SavePretrained(string directory, bool bfloat16 = false)
    {
        Directory.CreateDirectory(directory);
        Config.TorchDtype = bfloat16 ? "bfloat16" : "float32";
        Config.Save(directory);
        SafeTensorsWriter.Write(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName), ToSafeTensors(bfloat16), SafeTensorsWriter.PyTorchMetadata);
    }

    /// <summary>
    /// Runs a stack of encoder layers, each in its own dispose scope, and returns the last output. Each layer's output
    /// is appended to <paramref name="hiddenStates"/> when given; otherwise it is freed as soon as the next layer has
    /// used it. <paramref name="input"/> belongs to the caller and is never freed here.
    /// </summary>
    /// <remarks>
    /// PyTorch frees each intermediate as soon as its last reference goes; TorchSharp frees it when its scope ends.
    /// Without a scope per layer every activation of every layer would live until the whole forward pass ends
    /// (≈4 GB for BERT-base at 32×128), each new one coming from fresh pages; with it, a layer's buffers are
    /// reused by the next one while they are still mapped and warm. Autograd keeps what backward needs on its own.
    /// </remarks>
    protected internal static Tensor RunLayers<TLayer>(IEnumerable<TLayer> layers, Tensor input, Func<TLayer, Tensor, Tensor> forward,
        List<Tensor>? hiddenStates)
    {
        var hidden = input;
        foreach (var layer in layers)
        {
            Tensor output;
            using (var scope = NewDisposeScope())
                output = forward(layer, hidden).MoveToOuterDisposeScope();
            if (hiddenStates is null && !ReferenceEquals(hidden, input)) hidden.Dispose();
            hiddenStates?.Add(output);
            hidden = output;
        }
        return hidden;
    }

    /// <summary>The additive attention bias HF uses for padding: 0 where attended, the dtype's lowest finite value elsewhere.</summary>
    protected internal static Tensor PaddingBias(Tensor attentionMask, ScalarType dtype)
    {
        // [batch, seq] → [batch, 1, 1, seq]; finite (not -inf) so that fully masked rows stay NaN-free, as in HF.
        var keep = attentionMask.to_type(dtype).unsqueeze(1).unsqueeze(2);
        return (1.0 - keep) * finfo(dtype).min;
    }
}

/// <summary>Keys that did not line up when loading a checkpoint, as HF's load warning lists them.</summary>
/// <param name="MissingKeys">Model parameters absent from the checkpoint; they were initialised (head parameters in <see cref="WeightLoadMode.NewHead"/> only).</param>
/// <param name="UnexpectedKeys">Checkpoint tensors the model has no parameter for; they were ignored.</param>
public sealed record WeightLoadReport(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>Head parameters initialised because the checkpoint's tensor has another shape (another label count), as "name: found … and …".</summary>
    public IReadOnlyList<string> MismatchedKeys { get; init; } = [];

    /// <summary>True when every key matched.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && MismatchedKeys.Count == 0;
}

/// <summary>What <see cref="SequenceClassificationModel.LoadWeights(ISafeTensorsReader, string, WeightLoadMode)"/> lets a checkpoint lack.</summary>
public enum WeightLoadMode
{
    /// <summary>Nothing: every parameter comes from the checkpoint with the shape the config implies (prediction).</summary>
    Strict,

    /// <summary>
    /// The task head may be absent or of another shape (another label count); it is initialised, as HF's
    /// <c>from_pretrained(…, num_labels=n, ignore_mismatched_sizes=True)</c> does when fine-tuning a base encoder.
    /// </summary>
    NewHead,
}
