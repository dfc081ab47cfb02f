using Classify.HuggingFace.Configuration;
using Classify.Core.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// A port of transformers' modeling_distilbert.py (v4.48): word + position embeddings (no token types), post-LN
// blocks named q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm, and the head
// pre_classifier → ReLU → dropout → classifier on the first token. LayerNorm eps is fixed at 1e-12.
#pragma warning disable IDE1006 // names follow the checkpoint keys

namespace Classify.Transformers.Models;

/// <summary>Word + learned position embeddings, LayerNorm and dropout.</summary>
internal sealed class DistilBertEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the embeddings of <paramref name="config"/>.</summary>
    public DistilBertEmbeddings(DistilBertConfig config) : base(nameof(DistilBertEmbeddings))
    {
        if (config.SinusoidalPosEmbds)
            throw new InputException("sinusoidal_pos_embds: true is not supported", config.SourcePath, field: "sinusoidal_pos_embds");
        word_embeddings = nn.Embedding(config.VocabSize, config.Dim, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.Dim);
        LayerNorm = nn.LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix <c>[vocab, hidden]</c>, which an MLM decoder is tied to.</summary>
    public Parameter WordEmbeddings => word_embeddings.weight!;

    /// <summary><c>[batch, seq]</c> ids → <c>[batch, seq, dim]</c>.</summary>
    public Tensor forward(Tensor inputIds)
    {
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        return RowDropout.Apply(dropout, LayerNorm.forward(word_embeddings.forward(inputIds) + position_embeddings.forward(positions)));
    }
}

/// <summary>Multi-head self-attention with its output projection.</summary>
internal sealed class MultiHeadSelfAttention : nn.Module
{
    private readonly Linear q_lin;
    private readonly Linear k_lin;
    private readonly Linear v_lin;
    private readonly Linear out_lin;
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Creates the projections of <paramref name="config"/>.</summary>
    public MultiHeadSelfAttention(DistilBertConfig config) : base(nameof(MultiHeadSelfAttention))
    {
        q_lin = nn.Linear(config.Dim, config.Dim);
        k_lin = nn.Linear(config.Dim, config.Dim);
        v_lin = nn.Linear(config.Dim, config.Dim);
        out_lin = nn.Linear(config.Dim, config.Dim);
        _heads = config.NHeads;
        _dropout = config.AttentionDropout;
        RegisterComponents();
    }

    /// <summary><c>out_lin(softmax(QKᵀ/√d + bias)·V)</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor bias)
    {
        var (batch, seq, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        Tensor Heads(Linear proj) => proj.forward(hidden).view(batch, seq, _heads, -1).transpose(1, 2);
        var context = RowDropout.Attention(Heads(q_lin), Heads(k_lin), Heads(v_lin), bias, _dropout, training);
        return out_lin.forward(context.transpose(1, 2).reshape(batch, seq, width));
    }
}

/// <summary><c>lin2(act(lin1(x)))</c> with dropout.</summary>
internal sealed class FFN : nn.Module
{
    private readonly Linear lin1;
    private readonly Linear lin2;
    private readonly Dropout dropout;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public FFN(DistilBertConfig config) : base(nameof(FFN))
    {
        lin1 = nn.Linear(config.Dim, config.HiddenDim);
        lin2 = nn.Linear(config.HiddenDim, config.Dim);
        dropout = nn.Dropout(config.Dropout);
        _act = Activations.Get(config.Activation, "activation");
        RegisterComponents();
    }

    /// <summary>The feed-forward output.</summary>
    public Tensor forward(Tensor x) => RowDropout.Apply(dropout, lin2.forward(_act(lin1.forward(x))));
}

/// <summary>One post-LN block: <c>sa_layer_norm(attn + x)</c>, then <c>output_layer_norm(ffn + h)</c>.</summary>
internal sealed class TransformerBlock : nn.Module
{
    private readonly MultiHeadSelfAttention attention;
    private readonly LayerNorm sa_layer_norm;
    private readonly FFN ffn;
    private readonly LayerNorm output_layer_norm;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public TransformerBlock(DistilBertConfig config) : base(nameof(TransformerBlock))
    {
        attention = new MultiHeadSelfAttention(config);
        sa_layer_norm = nn.LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        ffn = new FFN(config);
        output_layer_norm = nn.LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>The block output.</summary>
    public Tensor forward(Tensor x, Tensor bias)
    {
        var h = sa_layer_norm.forward(attention.forward(x, bias) + x);
        return output_layer_norm.forward(ffn.forward(h) + h);
    }
}

/// <summary>The stack of blocks, <c>transformer.layer.{i}</c>.</summary>
internal sealed class Transformer : nn.Module
{
    private readonly ModuleList<TransformerBlock> layer;

    /// <summary>Creates <c>n_layers</c> blocks.</summary>
    public Transformer(DistilBertConfig config) : base(nameof(Transformer))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NLayers).Select(_ => new TransformerBlock(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs every block; appends each output to <paramref name="hiddenStates"/> when given.</summary>
    public Tensor forward(Tensor hidden, Tensor bias, List<Tensor>? hiddenStates) =>
        PreTrainedModel.RunLayers(layer, hidden, (block, h) => block.forward(h, bias), hiddenStates);
}

/// <summary>The DistilBERT encoder. Checkpoint prefix <c>distilbert.</c>.</summary>
internal sealed class DistilBertModel : nn.Module
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly Transformer transformer;

    /// <summary>Creates the encoder of <paramref name="config"/>.</summary>
    public DistilBertModel(DistilBertConfig config) : base(nameof(DistilBertModel))
    {
        embeddings = new DistilBertEmbeddings(config);
        transformer = new Transformer(config);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix (HF's <c>get_input_embeddings().weight</c>).</summary>
    public Parameter WordEmbeddings => embeddings.WordEmbeddings;

    /// <summary>The last hidden state, <c>[batch, seq, dim]</c>.</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, List<Tensor>? hiddenStates)
    {
        var hidden = embeddings.forward(inputIds);
        hiddenStates?.Add(hidden);
        return transformer.forward(hidden, PreTrainedModel.PaddingBias(attentionMask, hidden.dtype), hiddenStates);
    }
}

/// <summary>transformers' <c>DistilBertForSequenceClassification</c>: <c>classifier(dropout(relu(pre_classifier(h[CLS]))))</c>.</summary>
public sealed class DistilBertForSequenceClassification : SequenceClassificationModel
{
    private readonly DistilBertModel distilbert;
    private readonly Linear pre_classifier;
    private readonly Linear classifier;
    private readonly Dropout dropout;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public DistilBertForSequenceClassification(DistilBertConfig config) : base(nameof(DistilBertForSequenceClassification), config)
    {
        distilbert = new DistilBertModel(config);
        pre_classifier = nn.Linear(config.Dim, config.Dim);
        classifier = nn.Linear(config.Dim, config.NumLabels);
        dropout = nn.Dropout(config.SeqClassifDropout);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "distilbert";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => distilbert.WordEmbeddings;

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
        [("distilbert.embeddings.word_embeddings.weight", ((DistilBertConfig)Config).PadTokenId)];

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates)
    {
        var last = distilbert.forward(inputIds, attentionMask, hiddenStates);
        var pooled = nn.functional.relu(RowInvariant.Linear(pre_classifier, last[.., 0]));
        return RowInvariant.Linear(classifier, RowDropout.Apply(dropout, pooled));
    }

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => base.IsHeadParameter(name) || name.StartsWith("pre_classifier.", StringComparison.Ordinal);
}

/// <summary>
/// transformers' <c>DistilBertForMaskedLM</c>: the encoder (<c>distilbert.*</c>), then
/// <c>vocab_projector(vocab_layer_norm(act(vocab_transform(h))))</c> with <c>vocab_projector</c>'s weight tied to
/// <c>distilbert.embeddings.word_embeddings.weight</c> (its bias, <c>vocab_projector.bias</c>, is its own).
/// </summary>
public sealed class DistilBertForMaskedLM : MaskedLMModel
{
    private readonly DistilBertModel distilbert;
    private readonly Linear vocab_transform;
    private readonly LayerNorm vocab_layer_norm;
    private readonly TiedDecoder vocab_projector;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public DistilBertForMaskedLM(DistilBertConfig config) : base(nameof(DistilBertForMaskedLM), config)
    {
        distilbert = new DistilBertModel(config);
        vocab_transform = nn.Linear(config.Dim, config.Dim);
        vocab_layer_norm = nn.LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        vocab_projector = new TiedDecoder(config.VocabSize);
        _act = Activations.Get(config.Activation, "activation");
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "distilbert";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => distilbert.WordEmbeddings;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> TiedWeights { get; } =
        new Dictionary<string, string> { ["vocab_projector.weight"] = "distilbert.embeddings.word_embeddings.weight" };

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
        [("distilbert.embeddings.word_embeddings.weight", ((DistilBertConfig)Config).PadTokenId)];

    /// <inheritdoc />
    protected override Tensor EncodeCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        distilbert.forward(inputIds, attentionMask, hiddenStates);

    /// <inheritdoc />
    protected override Tensor PredictCore(Tensor hidden) =>
        vocab_projector.forward(vocab_layer_norm.forward(_act(vocab_transform.forward(hidden))), distilbert.WordEmbeddings);

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => name.StartsWith("vocab_", StringComparison.Ordinal);
}
