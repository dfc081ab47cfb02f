using Classify.HuggingFace.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// A port of transformers' modeling_bert.py (v4.48), read top to bottom: embeddings, self-attention, the
// post-LayerNorm layer, the encoder, the pooler, then BertForSequenceClassification. Field names are the
// checkpoint names (bert.encoder.layer.0.attention.self.query.weight, …); lower-case fields are deliberate.
#pragma warning disable IDE1006 // names follow the checkpoint keys

namespace Classify.Transformers.Models;

/// <summary>Word + position + token-type embeddings, then LayerNorm and dropout.</summary>
internal sealed class BertEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the embeddings of <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config, long? positionPaddingIdx = null) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: positionPaddingIdx);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix <c>[vocab, hidden]</c>, which an MLM decoder is tied to.</summary>
    public Parameter WordEmbeddings => word_embeddings.weight!;

    /// <summary><c>[batch, seq]</c> ids and position ids → <c>[batch, seq, hidden]</c>.</summary>
    public Tensor forward(Tensor inputIds, Tensor positionIds, Tensor? tokenTypeIds)
    {
        var tokenTypes = tokenTypeIds ?? zeros_like(inputIds);
        var embeddings = word_embeddings.forward(inputIds) + token_type_embeddings.forward(tokenTypes) + position_embeddings.forward(positionIds);
        return RowDropout.Apply(dropout, LayerNorm.forward(embeddings));
    }
}

/// <summary>Multi-head self-attention: separate query/key/value projections, scaled dot product, padding bias.</summary>
internal sealed class BertSelfAttention : nn.Module
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Creates the projections of <paramref name="config"/>.</summary>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary><c>softmax(QKᵀ/√d + bias)·V</c> per head; <paramref name="bias"/> is <c>[batch, 1, 1, seq]</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor bias)
    {
        var (batch, seq, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        Tensor Heads(Linear proj) => proj.forward(hidden).view(batch, seq, _heads, -1).transpose(1, 2);
        var context = RowDropout.Attention(Heads(query), Heads(key), Heads(value), bias, _dropout, training);
        return context.transpose(1, 2).reshape(batch, seq, width);
    }
}

/// <summary>Attention output projection, dropout, residual and LayerNorm (post-LN).</summary>
internal sealed class BertSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary><c>LayerNorm(dropout(dense(h)) + residual)</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor residual) => LayerNorm.forward(RowDropout.Apply(dropout, dense.forward(hidden)) + residual);
}

/// <summary><c>attention.self</c> then <c>attention.output</c>.</summary>
internal sealed class BertAttention : nn.Module
{
    private readonly BertSelfAttention self;
    private readonly BertSelfOutput output;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>Self-attention with its residual LayerNorm.</summary>
    public Tensor forward(Tensor hidden, Tensor bias) => output.forward(self.forward(hidden, bias), hidden);
}

/// <summary>The feed-forward up-projection and activation.</summary>
internal sealed class BertIntermediate : nn.Module
{
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _act = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    /// <summary><c>act(dense(h))</c>.</summary>
    public Tensor forward(Tensor hidden) => _act(dense.forward(hidden));
}

/// <summary>The feed-forward down-projection, dropout, residual and LayerNorm.</summary>
internal sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary><c>LayerNorm(dropout(dense(h)) + residual)</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor residual) => LayerNorm.forward(RowDropout.Apply(dropout, dense.forward(hidden)) + residual);
}

/// <summary>One transformer layer: attention, then feed-forward, each with a post-LayerNorm residual.</summary>
internal sealed class BertLayer : nn.Module
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Creates the layer of <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    /// <summary>One layer's output, <c>[batch, seq, hidden]</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor bias)
    {
        var attended = attention.forward(hidden, bias);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>The stack of <see cref="BertLayer"/>s (also RoBERTa's encoder).</summary>
internal sealed class BertEncoder : nn.Module
{
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Creates <c>num_hidden_layers</c> layers.</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs every layer; appends each output to <paramref name="hiddenStates"/> when given.</summary>
    public Tensor forward(Tensor hidden, Tensor bias, List<Tensor>? hiddenStates) =>
        PreTrainedModel.RunLayers(layer, hidden, (l, h) => l.forward(h, bias), hiddenStates);
}

/// <summary><c>tanh(dense(h[CLS]))</c>.</summary>
internal sealed class BertPooler : nn.Module
{
    private readonly Linear dense;

    /// <summary>Creates the pooler of <paramref name="config"/>.</summary>
    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>Pools the first token.</summary>
    public Tensor forward(Tensor hidden) => RowInvariant.Linear(dense, hidden[.., 0]).tanh();
}

/// <summary>The BERT encoder: embeddings, layers and (optionally) the pooler. Checkpoint prefix <c>bert.</c>.</summary>
internal sealed class BertModel : nn.Module
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <summary>Creates the encoder of <paramref name="config"/>.</summary>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        if (config.PositionEmbeddingType != "absolute")
            throw new Classify.Core.IO.InputException($"position_embedding_type '{config.PositionEmbeddingType}' is not supported; expected absolute",
                config.SourcePath, field: "position_embedding_type");
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (addPoolingLayer) pooler = new BertPooler(config);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix (HF's <c>get_input_embeddings().weight</c>).</summary>
    public Parameter WordEmbeddings => embeddings.WordEmbeddings;

    /// <summary>Returns the last hidden state and the pooled output (null without a pooler).</summary>
    public (Tensor LastHiddenState, Tensor? PooledOutput) forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates)
    {
        var positionIds = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand_as(inputIds);
        var hidden = embeddings.forward(inputIds, positionIds, tokenTypeIds);
        hiddenStates?.Add(hidden);
        var last = encoder.forward(hidden, PreTrainedModel.PaddingBias(attentionMask, hidden.dtype), hiddenStates);
        return (last, pooler?.forward(last));
    }
}

/// <summary>
/// transformers' <c>BertForSequenceClassification</c>: pooler output → dropout → <c>classifier</c>. The dropout is
/// <c>classifier_dropout</c>, or <c>hidden_dropout_prob</c> when that is null.
/// </summary>
public sealed class BertForSequenceClassification : SequenceClassificationModel
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification), config)
    {
        bert = new BertModel(config);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "bert";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => bert.WordEmbeddings;

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
        [("bert.embeddings.word_embeddings.weight", ((BertConfig)Config).PadTokenId)];

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates)
    {
        var (_, pooled) = bert.forward(inputIds, attentionMask, tokenTypeIds, hiddenStates);
        return RowInvariant.Linear(classifier, RowDropout.Apply(dropout, pooled!));
    }

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => base.IsHeadParameter(name) || name.StartsWith("bert.pooler.", StringComparison.Ordinal);
}

/// <summary><c>LayerNorm(act(dense(h)))</c>, the transform before BERT's MLM decoder.</summary>
internal sealed class BertPredictionHeadTransform : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Func<Tensor, Tensor> _act;

    /// <summary>Creates the transform of <paramref name="config"/> (activation <c>hidden_act</c>, eps <c>layer_norm_eps</c>).</summary>
    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _act = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    /// <summary>The transformed hidden states.</summary>
    public Tensor forward(Tensor hidden) => LayerNorm.forward(_act(dense.forward(hidden)));
}

/// <summary><c>cls.predictions</c>: the transform, then the decoder tied to the word embeddings, with the bias <c>cls.predictions.bias</c>.</summary>
internal sealed class BertLMPredictionHead : nn.Module
{
    private readonly BertPredictionHeadTransform transform;
    private readonly Parameter bias;

    /// <summary>Creates the head of <paramref name="config"/>.</summary>
    public BertLMPredictionHead(BertConfig config) : base(nameof(BertLMPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        bias = new Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <summary>Vocabulary logits; <paramref name="decoderWeight"/> is the word embedding matrix.</summary>
    public Tensor forward(Tensor hidden, Tensor decoderWeight) => nn.functional.linear(transform.forward(hidden), decoderWeight, bias);
}

/// <summary><c>cls</c>: BERT's MLM-only head (no next-sentence head).</summary>
internal sealed class BertOnlyMLMHead : nn.Module
{
    private readonly BertLMPredictionHead predictions;

    /// <summary>Creates the head of <paramref name="config"/>.</summary>
    public BertOnlyMLMHead(BertConfig config) : base(nameof(BertOnlyMLMHead))
    {
        predictions = new BertLMPredictionHead(config);
        RegisterComponents();
    }

    /// <summary>Vocabulary logits.</summary>
    public Tensor forward(Tensor hidden, Tensor decoderWeight) => predictions.forward(hidden, decoderWeight);
}

/// <summary>
/// transformers' <c>BertForMaskedLM</c>: the encoder without pooler (<c>bert.*</c>), then <c>cls.predictions</c>; the decoder
/// weight is <c>bert.embeddings.word_embeddings.weight</c>.
/// </summary>
public sealed class BertForMaskedLM : MaskedLMModel
{
    private readonly BertModel bert;
    private readonly BertOnlyMLMHead cls;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public BertForMaskedLM(BertConfig config) : base(nameof(BertForMaskedLM), config)
    {
        if (config is RobertaConfig) throw new ArgumentException("a RoBERTa config builds a RobertaForMaskedLM", nameof(config));
        bert = new BertModel(config, addPoolingLayer: false);
        cls = new BertOnlyMLMHead(config);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "bert";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => bert.WordEmbeddings;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> TiedWeights { get; } =
        new Dictionary<string, string> { ["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight" };

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
        [("bert.embeddings.word_embeddings.weight", ((BertConfig)Config).PadTokenId)];

    /// <inheritdoc />
    protected override Tensor EncodeCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        bert.forward(inputIds, attentionMask, tokenTypeIds, hiddenStates).LastHiddenState;

    /// <inheritdoc />
    protected override Tensor PredictCore(Tensor hidden) => cls.forward(hidden, bert.WordEmbeddings);

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => name.StartsWith("cls.", StringComparison.Ordinal);
}
