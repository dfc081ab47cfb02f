using Classify.HuggingFace.Configuration;
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
    }

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
        var mask = attentionMask ?? ones_like(inputIds);
        var hidden = outputHiddenStates ? new List<Tensor>() : null;
        var logits = ForwardCore(inputIds, mask, tokenTypeIds, hidden);
        var output = new SequenceClassifierOutput(logits.MoveToOuterDisposeScope(), hidden?.Select(h => h.MoveToOuterDisposeScope()).ToList());
        return output;
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
    /// Copies weights from a checkpoint by name, strictly: every parameter must be present with the right shape,
    /// except those <see cref="IsHeadParameter"/> allows to be missing (they are initialised, as HF does when it
    /// loads a base encoder into a classification model). Keys are matched as saved by transformers, also without
    /// the <see cref="BaseModelPrefix"/> (a base-model checkpoint), and TF-era <c>gamma</c>/<c>beta</c> names are
    /// mapped to <c>weight</c>/<c>bias</c>.
    /// </summary>
    /// <returns>The missing (initialised) and unexpected (ignored) keys, like HF's load warning.</returns>
    /// <exception cref="Classify.Core.IO.InputException">A non-head parameter is missing or a shape differs.</exception>
    public WeightLoadReport LoadWeights(ISafeTensorsReader checkpoint, string source = "checkpoint")
    {
        var keys = KeyIndex(checkpoint.Tensors.Keys);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                var key = Candidates(name).FirstOrDefault(keys.ContainsKey) is { } k ? keys[k] : null;
                if (key is null)
                {
                    if (!IsHeadParameter(name))
                        throw new Classify.Core.IO.InputException($"weights for '{name}' are missing", source, field: name);
                    missing.Add(name);
                    continue;
                }
                var info = checkpoint.Tensors[key];
                if (!info.Shape.SequenceEqual(p.shape))
                    throw new Classify.Core.IO.InputException(
                        $"shape of '{key}' is {info.ShapeText} but the model expects [{string.Join(", ", p.shape)}]", source, field: key);
                using var value = tensor(checkpoint.ReadFloat32(key), p.shape, ScalarType.Float32);
                p.copy_(value);
                used.Add(key);
            }
        }
        InitializeWeights(missing);
        var unexpected = checkpoint.Tensors.Keys.Where(k => !used.Contains(k) && !IsIgnoredKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new WeightLoadReport(missing, unexpected);
    }

    /// <summary>
    /// True for parameters a checkpoint may lack: the task head (<c>classifier.*</c> and the family's extra head
    /// layers). HF initialises these randomly with a warning.
    /// </summary>
    protected virtual bool IsHeadParameter(string name) => name.StartsWith("classifier.", StringComparison.Ordinal);

    // Buffers some checkpoints carry that this port recomputes.
    private static bool IsIgnoredKey(string key) =>
        key.EndsWith("position_ids", StringComparison.Ordinal) || key.EndsWith("token_type_ids", StringComparison.Ordinal) ||
        key.EndsWith("inv_freq", StringComparison.Ordinal);

    private IEnumerable<string> Candidates(string name)
    {
        yield return name;
        var prefix = BaseModelPrefix + ".";
        if (name.StartsWith(prefix, StringComparison.Ordinal)) yield return name[prefix.Length..];
    }

    // Checkpoint key → itself, plus its gamma/beta → weight/bias alias.
    private static Dictionary<string, string> KeyIndex(IEnumerable<string> keys)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            index[key] = key;
            if (key.EndsWith(".gamma", StringComparison.Ordinal)) index.TryAdd(key[..^6] + ".weight", key);
            else if (key.EndsWith(".beta", StringComparison.Ordinal)) index.TryAdd(key[..^5] + ".bias", key);
        }
        return index;
    }

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
/// <param name="MissingKeys">Model parameters absent from the checkpoint; they were initialised.</param>
/// <param name="UnexpectedKeys">Checkpoint tensors the model has no parameter for; they were ignored.</param>
public sealed record WeightLoadReport(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every key matched.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;
}
