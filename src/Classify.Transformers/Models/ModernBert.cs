using Classify.HuggingFace.Configuration;
using Classify.Core.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// A port of transformers' modeling_modernbert.py (v4.48, eager/SDPA path with padding; no unpadding):
// pre-LN layers with bias-free linears, fused Wqkv, rotary embeddings with a per-layer theta, alternating
// global and sliding-window local attention, a GeGLU MLP, final_norm, then the prediction head
// (dense → act → norm) on the CLS token or the masked mean, dropout and the classifier.
#pragma warning disable IDE1006 // names follow the checkpoint keys

namespace Classify.Transformers.Models;

/// <summary>Token embeddings, LayerNorm and dropout; ModernBERT has no position embeddings.</summary>
internal sealed class ModernBertEmbeddings : nn.Module
{
    private readonly Embedding tok_embeddings;
    private readonly LayerNorm norm;
    private readonly Dropout drop;

    /// <summary>Creates the embeddings of <paramref name="config"/>.</summary>
    public ModernBertEmbeddings(ModernBertConfig config) : base(nameof(ModernBertEmbeddings))
    {
        tok_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        norm = nn.LayerNorm(config.HiddenSize, config.NormEps, bias: config.NormBias);
        drop = nn.Dropout(config.EmbeddingDropout);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix <c>[vocab, hidden]</c>, which the MLM decoder is tied to.</summary>
    public Parameter WordEmbeddings => tok_embeddings.weight!;

    /// <summary><c>drop(norm(tok_embeddings(ids)))</c>.</summary>
    public Tensor forward(Tensor inputIds) => RowDropout.Apply(drop, norm.forward(tok_embeddings.forward(inputIds)));
}

/// <summary>
/// Rotary position embedding tables. As in transformers, <c>inv_freq</c> and the angles are computed in float32
/// whatever the model dtype, then cos/sin are cast to it.
/// </summary>
internal static class ModernBertRotary
{
    /// <summary><c>1 / theta^(2i/dim)</c> for i in 0…dim/2−1, float32.</summary>
    public static Tensor InverseFrequencies(int dim, double theta, Device? device = null)
    {
        var exponents = arange(0, dim, 2, dtype: ScalarType.Int64, device: device).to_type(ScalarType.Float32) / dim;
        return pow(tensor(theta, ScalarType.Float32, device), exponents).reciprocal();
    }

    /// <summary>cos and sin tables <c>[seq, dim]</c> for positions 0…seq−1: <c>cat([θ·p, θ·p])</c> (non-interleaved).</summary>
    public static (Tensor Cos, Tensor Sin) Tables(long seq, int dim, double theta, ScalarType dtype, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var invFreq = InverseFrequencies(dim, theta, device);
        var positions = arange(seq, dtype: ScalarType.Float32, device: device);
        var freqs = positions.unsqueeze(1) * invFreq.unsqueeze(0);
        var angles = cat([freqs, freqs], -1);
        return scope.MoveToOuter(angles.cos().to_type(dtype), angles.sin().to_type(dtype));
    }

    /// <summary><c>x·cos + rotate_half(x)·sin</c>, where <c>rotate_half(x) = cat(−x₂, x₁)</c>; x is <c>[batch, heads, seq, dim]</c>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var halves = x.chunk(2, -1);
        var rotated = cat([-halves[1], halves[0]], -1);
        return x * cos + rotated * sin;
    }
}

/// <summary>Self-attention with a fused <c>Wqkv</c> projection, rotary embeddings and an optional sliding window.</summary>
internal sealed class ModernBertAttention : nn.Module
{
    private readonly Linear Wqkv;
    private readonly Linear Wo;
    private readonly Dropout out_drop;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly double _dropout;

    /// <summary>Creates the attention of layer <paramref name="layerId"/>.</summary>
    public ModernBertAttention(ModernBertConfig config, int layerId) : base(nameof(ModernBertAttention))
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new InputException($"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}",
                config.SourcePath, field: "num_attention_heads");
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        _dropout = config.AttentionDropout;
        IsGlobal = config.IsGlobalLayer(layerId);
        RopeTheta = config.RopeTheta(layerId);
        Wqkv = nn.Linear(config.HiddenSize, 3 * config.HiddenSize, hasBias: config.AttentionBias);
        Wo = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.AttentionBias);
        out_drop = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    /// <summary>True for a global layer (every <c>global_attn_every_n_layers</c>-th, starting at 0).</summary>
    public bool IsGlobal { get; }

    /// <summary>The rotary base of this layer: <c>global_rope_theta</c> or <c>local_rope_theta</c>.</summary>
    public double RopeTheta { get; }

    /// <summary>
    /// Attention output; <paramref name="bias"/> is the additive <c>[batch, 1, seq, seq]</c> mask for this layer's kind,
    /// or, for a local layer, <paramref name="window"/> (when not null and the layer has no attention dropout) computes
    /// the same sliding-window attention block by block.
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor bias, Tensor cos, Tensor sin, SlidingWindowAttention? window = null)
    {
        var (batch, seq, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        // [batch, seq, 3·hidden] → [3, batch, heads, seq, head_dim]: rows 0…h−1 of Wqkv are Q, then K, then V.
        var qkv = Wqkv.forward(hidden).view(batch, seq, 3, _heads, _headDim).permute(2, 0, 3, 1, 4);
        var query = ModernBertRotary.Apply(qkv[0], cos, sin);
        var key = ModernBertRotary.Apply(qkv[1], cos, sin);
        // Banded only without attention dropout (ModernBERT's default 0): dropout sites see the full score matrix.
        var context = window is not null && !IsGlobal && _dropout == 0
            ? window.Attention(query, key, qkv[2])
            : RowDropout.Attention(query, key, qkv[2], bias, _dropout, training);
        return RowDropout.Apply(out_drop, Wo.forward(context.transpose(1, 2).reshape(batch, seq, width)));
    }
}

/// <summary>GeGLU feed-forward: <c>Wo(drop(act(input) · gate))</c> with <c>[input | gate] = Wi(x)</c>.</summary>
internal sealed class ModernBertMLP : nn.Module
{
    private readonly Linear Wi;
    private readonly Dropout drop;
    private readonly Linear Wo;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the MLP of <paramref name="config"/>.</summary>
    public ModernBertMLP(ModernBertConfig config) : base(nameof(ModernBertMLP))
    {
        Wi = nn.Linear(config.HiddenSize, 2L * config.IntermediateSize, hasBias: config.MlpBias);
        drop = nn.Dropout(config.MlpDropout);
        Wo = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        _act = Activations.Get(config.HiddenActivation, "hidden_activation");
        RegisterComponents();
    }

    /// <summary>The MLP output.</summary>
    public Tensor forward(Tensor x)
    {
        var parts = Wi.forward(x).chunk(2, -1);
        return Wo.forward(RowDropout.Apply(drop, _act(parts[0]) * parts[1]));
    }
}

/// <summary>One pre-LN layer: <c>h += attn(attn_norm(h)); h += mlp(mlp_norm(h))</c>. Layer 0's <c>attn_norm</c> is the identity.</summary>
internal sealed class ModernBertEncoderLayer : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> attn_norm;
    private readonly ModernBertAttention attn;
    private readonly LayerNorm mlp_norm;
    private readonly ModernBertMLP mlp;

    /// <summary>Creates layer <paramref name="layerId"/>.</summary>
    public ModernBertEncoderLayer(ModernBertConfig config, int layerId) : base(nameof(ModernBertEncoderLayer))
    {
        // The embeddings end with a norm already, so the first layer skips its own.
        attn_norm = layerId == 0 ? nn.Identity() : nn.LayerNorm(config.HiddenSize, config.NormEps, bias: config.NormBias);
        attn = new ModernBertAttention(config, layerId);
        mlp_norm = nn.LayerNorm(config.HiddenSize, config.NormEps, bias: config.NormBias);
        mlp = new ModernBertMLP(config);
        RegisterComponents();
    }

    /// <summary>True when the layer attends globally.</summary>
    public bool IsGlobal => attn.IsGlobal;

    /// <summary>The layer's rotary base.</summary>
    public double RopeTheta => attn.RopeTheta;

    /// <summary>The layer output (<paramref name="window"/>: see <see cref="ModernBertAttention.forward"/>).</summary>
    public Tensor forward(Tensor hidden, Tensor bias, Tensor cos, Tensor sin, SlidingWindowAttention? window = null)
    {
        hidden = hidden + attn.forward(attn_norm.forward(hidden), bias, cos, sin, window);
        return hidden + mlp.forward(mlp_norm.forward(hidden));
    }
}

/// <summary>The ModernBERT encoder (checkpoint prefix <c>model.</c>): embeddings, layers, <c>final_norm</c>.</summary>
internal sealed class ModernBertModel : nn.Module
{
    private readonly ModernBertEmbeddings embeddings;
    private readonly ModuleList<ModernBertEncoderLayer> layers;
    private readonly LayerNorm final_norm;
    private readonly int _headDim;
    private readonly int _localWindow;
    private readonly double _localDropout;

    /// <summary>Creates the encoder of <paramref name="config"/>.</summary>
    public ModernBertModel(ModernBertConfig config) : base(nameof(ModernBertModel))
    {
        embeddings = new ModernBertEmbeddings(config);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new ModernBertEncoderLayer(config, i)).ToArray());
        final_norm = nn.LayerNorm(config.HiddenSize, config.NormEps, bias: config.NormBias);
        _headDim = config.HeadDim;
        _localWindow = config.LocalAttention;
        _localDropout = config.AttentionDropout;
        RegisterComponents();
    }

    /// <summary>
    /// Whether local layers attend block by block (<see cref="SlidingWindowAttention"/>, the default) rather than
    /// through a full <c>[batch, 1, seq, seq]</c> mask; the two agree to float rounding. For benchmarks and tests.
    /// </summary>
    internal static bool BandedLocalAttention { get => !t_fullLocalMask; set => t_fullLocalMask = !value; }

    // Per thread, so that a test comparing the two ways does not switch them for tests running beside it.
    [ThreadStatic] private static bool t_fullLocalMask;

    /// <summary>The token embedding matrix (HF's <c>get_input_embeddings().weight</c>).</summary>
    public Parameter WordEmbeddings => embeddings.WordEmbeddings;

    /// <summary>The last hidden state after <c>final_norm</c>; <paramref name="hiddenStates"/> gets the embedding output and each layer's output (before <c>final_norm</c>).</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, List<Tensor>? hiddenStates)
    {
        var hidden = embeddings.forward(inputIds);
        hiddenStates?.Add(hidden);
        var dtype = hidden.dtype;
        var seq = inputIds.shape[1];

        // Global layers mask padding keys; local layers also mask keys farther than local_attention/2. From
        // eight windows, local layers attend block by block (SlidingWindowAttention) instead of through a seq×seq mask.
        var globalBias = PreTrainedModel.PaddingBias(attentionMask, dtype);
        var window = BandedLocalAttention ? SlidingWindowAttention.For(attentionMask, _localWindow / 2, dtype) : null;
        Tensor localBias;
        if (window is not null && _localDropout == 0) localBias = globalBias;   // unused by local layers
        else
        {
            var positions = arange(seq, dtype: ScalarType.Int64, device: inputIds.device);
            var outsideWindow = (positions.unsqueeze(0) - positions.unsqueeze(1)).abs().gt(_localWindow / 2);
            localBias = globalBias.expand(-1, -1, seq, -1).masked_fill(outsideWindow, finfo(dtype).min);
        }

        // One cos/sin table per distinct theta (all global layers share one, all local layers another).
        var tables = layers.Select(l => l.RopeTheta).Distinct()
            .ToDictionary(theta => theta, theta => ModernBertRotary.Tables(seq, _headDim, theta, dtype, inputIds.device));
        var last = PreTrainedModel.RunLayers(layers, hidden, (layer, h) =>
        {
            var (cos, sin) = tables[layer.RopeTheta];
            return layer.forward(h, layer.IsGlobal ? globalBias : localBias, cos, sin, window);
        }, hiddenStates);
        return final_norm.forward(last);
    }
}

/// <summary>The prediction head: <c>norm(act(dense(x)))</c>.</summary>
internal sealed class ModernBertPredictionHead : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm norm;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the head of <paramref name="config"/>.</summary>
    public ModernBertPredictionHead(ModernBertConfig config) : base(nameof(ModernBertPredictionHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.ClassifierBias);
        norm = nn.LayerNorm(config.HiddenSize, config.NormEps, bias: config.NormBias);
        _act = Activations.Get(config.ClassifierActivation, "classifier_activation");
        RegisterComponents();
    }

    /// <summary>The head output.</summary>
    public Tensor forward(Tensor x) => norm.forward(_act(RowInvariant.Linear(dense, x)));
}

/// <summary>
/// transformers' <c>ModernBertForSequenceClassification</c>: pool (<c>classifier_pooling</c> <c>cls</c> or
/// <c>mean</c> over real tokens), <c>head</c>, <c>drop</c>, <c>classifier</c> (always with a bias).
/// </summary>
public sealed class ModernBertForSequenceClassification : SequenceClassificationModel
{
    private readonly ModernBertModel model;
    private readonly ModernBertPredictionHead head;
    private readonly Dropout drop;
    private readonly Linear classifier;
    private readonly bool _meanPooling;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public ModernBertForSequenceClassification(ModernBertConfig config) : base(nameof(ModernBertForSequenceClassification), config)
    {
        _meanPooling = config.ClassifierPooling switch
        {
            "cls" => false,
            "mean" => true,
            var other => throw new InputException($"classifier_pooling '{other}' is not supported; expected cls or mean", config.SourcePath, field: "classifier_pooling"),
        };
        model = new ModernBertModel(config);
        head = new ModernBertPredictionHead(config);
        drop = nn.Dropout(config.ClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "model";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => model.WordEmbeddings;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates)
    {
        var last = model.forward(inputIds, attentionMask, hiddenStates);
        Tensor pooled;
        if (_meanPooling)
        {
            var mask = attentionMask.to_type(last.dtype).unsqueeze(-1);
            pooled = (last * mask).sum(1) / mask.sum(1);
        }
        else
        {
            pooled = last[.., 0];
        }
        return RowInvariant.Linear(classifier, RowDropout.Apply(drop, head.forward(pooled)));
    }

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => base.IsHeadParameter(name) || name.StartsWith("head.", StringComparison.Ordinal);

    /// <summary>ModernBERT draws weights from a normal truncated at ±<c>initializer_cutoff_factor</c>·std.</summary>
    protected override void InitializeMatrix(Tensor weight, double std, Generator? generator) =>
        TruncatedNormal(weight, std, ((ModernBertConfig)Config).InitializerCutoffFactor, generator);

    /// <summary>Fills <paramref name="weight"/> from N(0, std²) truncated at ±<paramref name="factor"/>·std.</summary>
    internal static void TruncatedNormal(Tensor weight, double std, double factor, Generator? generator)
    {
        // PyTorch's trunc_normal_ (inverse CDF of a uniform draw between the cut-offs' CDF values), written out
        // because TorchSharp 0.107's nn.init ignores the generator.
        using var edge = special.erf(tensor(factor / Math.Sqrt(2.0), ScalarType.Float64));   // 2·Φ(factor) − 1
        double high = edge.item<double>();
        using var draw = rand(weight.shape, dtype: ScalarType.Float64, device: weight.device, generator: generator);
        draw.mul_(2 * high).sub_(high).erfinv_().mul_(std * Math.Sqrt(2.0)).clamp_(-factor * std, factor * std);
        weight.copy_(draw);
    }
}

/// <summary>
/// transformers' <c>ModernBertForMaskedLM</c> (eager path, logits at every position): the encoder (<c>model.*</c>), then
/// <c>head</c> (<c>norm(act(dense(h)))</c>, the same module as the classifier's) and <c>decoder</c>, whose weight is
/// <c>model.embeddings.tok_embeddings.weight</c> and whose bias (<c>decoder.bias</c>, when <c>decoder_bias</c>) is its own.
/// </summary>
public sealed class ModernBertForMaskedLM : MaskedLMModel
{
    private readonly ModernBertModel model;
    private readonly ModernBertPredictionHead head;
    private readonly TiedDecoder decoder;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public ModernBertForMaskedLM(ModernBertConfig config) : base(nameof(ModernBertForMaskedLM), config)
    {
        model = new ModernBertModel(config);
        head = new ModernBertPredictionHead(config);
        decoder = new TiedDecoder(config.VocabSize, config.DecoderBias);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "model";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => model.WordEmbeddings;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> TiedWeights { get; } =
        new Dictionary<string, string> { ["decoder.weight"] = "model.embeddings.tok_embeddings.weight" };

    /// <inheritdoc />
    protected override Tensor EncodeCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        model.forward(inputIds, attentionMask, hiddenStates);

    /// <inheritdoc />
    protected override Tensor PredictCore(Tensor hidden) => decoder.forward(head.forward(hidden), model.WordEmbeddings);

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) =>
        name.StartsWith("head.", StringComparison.Ordinal) || name.StartsWith("decoder.", StringComparison.Ordinal);

    /// <summary>ModernBERT draws weights from a normal truncated at ±<c>initializer_cutoff_factor</c>·std.</summary>
    protected override void InitializeMatrix(Tensor weight, double std, Generator? generator) =>
        ModernBertForSequenceClassification.TruncatedNormal(weight, std, ((ModernBertConfig)Config).InitializerCutoffFactor, generator);
}
