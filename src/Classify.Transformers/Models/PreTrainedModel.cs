using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// What every model port shares, in the spirit of transformers' <c>PreTrainedModel</c>: the config, index checks on the
/// inputs, weight initialisation, loading a checkpoint by name (<see cref="ParameterPlan"/>), tied weights, and
/// <see cref="SavePretrained"/>. Parameter names equal the checkpoint keys, so <c>named_parameters()</c> lines up one to
/// one with <c>model.safetensors</c>. The task models derive from it: <see cref="SequenceClassificationModel"/> and
/// <see cref="MaskedLMModel"/>; the encoders themselves (<c>BertModel</c>, <c>RobertaModel</c>, …) are shared modules.
/// </summary>
public abstract class PreTrainedModel : nn.Module
{
    /// <summary>Creates the module tree; subclasses register their components.</summary>
    protected PreTrainedModel(string name, PretrainedConfig config) : base(name)
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

    /// <summary>Which head the model carries on its encoder; picks the <see cref="ParameterPlan"/> its weights are matched with.</summary>
    internal abstract ModelHead Head { get; }

    /// <summary>
    /// Weights that are the same parameter as another one, as transformers' <c>_tied_weights_keys</c>: checkpoint key of the
    /// tied weight (e.g. <c>cls.predictions.decoder.weight</c>) → the parameter it is (<c>bert.embeddings.word_embeddings.weight</c>).
    /// A tied weight is not a parameter of its own: it is not saved, and a checkpoint may hold it or not.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> TiedWeights { get; } = new Dictionary<string, string>();

    /// <summary>The encoder's word (token) embedding matrix <c>[vocab_size, hidden]</c>, HF's <c>get_input_embeddings().weight</c>; an MLM decoder is this very parameter.</summary>
    public abstract TorchSharp.Modules.Parameter WordEmbeddings { get; }

    /// <summary>Prefix of the encoder's keys (<c>bert</c>, <c>roberta</c>, <c>distilbert</c>, <c>model</c>), HF's <c>base_model_prefix</c>.</summary>
    public abstract string BaseModelPrefix { get; }

    /// <summary>
    /// Refuses ids the embedding tables have no row for (a token id outside 0…vocab_size−1, a token type outside
    /// 0…type_vocab_size−1, more positions than the position table holds) with a message, before libtorch would fail
    /// on them with a native index error. Costs one min/max reduction per batch.
    /// </summary>
    protected void CheckIndices(Tensor inputIds, Tensor? tokenTypeIds)
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
        return LoadWeights(checkpoint, ParameterPlan.For(Config, Head).Match(checkpoint, mode, source));
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
    /// True for parameters a checkpoint may lack: the task head (e.g. <c>classifier.*</c> and the family's extra head
    /// layers, or the MLM head). HF initialises these randomly with a warning.
    /// </summary>
    protected virtual bool IsHeadParameter(string name) => false;

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
    /// <paramref name="bfloat16"/>), loadable by transformers' <c>from_pretrained</c> and by <see cref="AutoModelForSequenceClassification"/> or
    /// <see cref="AutoModelForMaskedLM"/>. Tied weights (<see cref="TiedWeights"/>) are not parameters and are not stored, as
    /// <c>save_pretrained</c> does; <c>architectures</c> names this model's class.
    /// </summary>
    public void SavePretrained(string directory, bool bfloat16 = false)
    {
        Directory.CreateDirectory(directory);
        Config.TorchDtype = bfloat16 ? "bfloat16" : "float32";
        Config.Architectures = [GetType().Name];
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

