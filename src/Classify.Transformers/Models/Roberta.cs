using Classify.HuggingFace.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// A port of transformers' modeling_roberta.py (v4.48). RoBERTa is BERT with three differences, all here:
// position ids count from padding_idx + 1 and skip pads, there is no pooler, and the classification head is
// dense → tanh → out_proj on the <s> token. The layers are BERT's (modeling_roberta.py copies them verbatim).
#pragma warning disable IDE1006 // names follow the checkpoint keys

namespace Classify.Transformers.Models;

/// <summary>BERT's embeddings with RoBERTa's position ids (<c>padding_idx + cumsum(ids ≠ pad)</c> on real tokens, <c>padding_idx</c> on pads).</summary>
internal sealed class RobertaEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly long _paddingIdx;

    /// <summary>Creates the embeddings of <paramref name="config"/>.</summary>
    public RobertaEmbeddings(RobertaConfig config) : base(nameof(RobertaEmbeddings))
    {
        _paddingIdx = config.PaddingIdx;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: _paddingIdx);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: _paddingIdx);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix <c>[vocab, hidden]</c>, which an MLM decoder is tied to.</summary>
    public Parameter WordEmbeddings => word_embeddings.weight!;

    /// <summary>HF's <c>create_position_ids_from_input_ids</c>: real tokens get 2, 3, …; pads keep <c>padding_idx</c>.</summary>
    public Tensor PositionIds(Tensor inputIds)
    {
        var real = inputIds.ne(_paddingIdx).to_type(ScalarType.Int64);
        return real.cumsum(1) * real + _paddingIdx;
    }

    /// <summary><c>[batch, seq]</c> ids → <c>[batch, seq, hidden]</c>.</summary>
    public Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        var tokenTypes = tokenTypeIds ?? zeros_like(inputIds);
        var embeddings = word_embeddings.forward(inputIds) + token_type_embeddings.forward(tokenTypes) + position_embeddings.forward(PositionIds(inputIds));
        return RowDropout.Apply(dropout, LayerNorm.forward(embeddings));
    }
}

/// <summary>The RoBERTa encoder: embeddings and BERT's layers, no pooler. Checkpoint prefix <c>roberta.</c>.</summary>
internal sealed class RobertaModel : nn.Module
{
    private readonly RobertaEmbeddings embeddings;
    private readonly BertEncoder encoder;

    /// <summary>Creates the encoder of <paramref name="config"/>.</summary>
    public RobertaModel(RobertaConfig config) : base(nameof(RobertaModel))
    {
        embeddings = new RobertaEmbeddings(config);
        encoder = new BertEncoder(config);
        RegisterComponents();
    }

    /// <summary>The word embedding matrix (HF's <c>get_input_embeddings().weight</c>).</summary>
    public Parameter WordEmbeddings => embeddings.WordEmbeddings;

    /// <summary>The last hidden state, <c>[batch, seq, hidden]</c>.</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates)
    {
        var hidden = embeddings.forward(inputIds, tokenTypeIds);
        hiddenStates?.Add(hidden);
        return encoder.forward(hidden, PreTrainedModel.PaddingBias(attentionMask, hidden.dtype), hiddenStates);
    }
}

/// <summary><c>out_proj(dropout(tanh(dense(dropout(h[&lt;s&gt;])))))</c>.</summary>
internal sealed class RobertaClassificationHead : nn.Module
{
    private readonly Linear dense;
    private readonly Dropout dropout;
    private readonly Linear out_proj;

    /// <summary>Creates the head of <paramref name="config"/>.</summary>
    public RobertaClassificationHead(RobertaConfig config) : base(nameof(RobertaClassificationHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        out_proj = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    /// <summary>Logits from the first token's hidden state.</summary>
    public Tensor forward(Tensor hidden)
    {
        var x = RowDropout.Apply(dropout, hidden[.., 0]);
        x = RowInvariant.Linear(dense, x).tanh();
        return RowInvariant.Linear(out_proj, RowDropout.Apply(dropout, x));
    }
}

/// <summary>transformers' <c>RobertaForSequenceClassification</c>.</summary>
public sealed class RobertaForSequenceClassification : SequenceClassificationModel
{
    private readonly RobertaModel roberta;
    private readonly RobertaClassificationHead classifier;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public RobertaForSequenceClassification(RobertaConfig config) : base(nameof(RobertaForSequenceClassification), config)
    {
        roberta = new RobertaModel(config);
        classifier = new RobertaClassificationHead(config);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "roberta";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => roberta.WordEmbeddings;

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
    [
        ("roberta.embeddings.word_embeddings.weight", ((RobertaConfig)Config).PaddingIdx),
        ("roberta.embeddings.position_embeddings.weight", ((RobertaConfig)Config).PaddingIdx),
    ];

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        classifier.forward(roberta.forward(inputIds, attentionMask, tokenTypeIds, hiddenStates));
}

/// <summary><c>lm_head</c>: <c>decoder(layer_norm(gelu(dense(h))))</c>, the decoder tied to the word embeddings, bias <c>lm_head.bias</c>.</summary>
internal sealed class RobertaLMHead : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm layer_norm;
    private readonly Parameter bias;

    /// <summary>Creates the head of <paramref name="config"/>.</summary>
    public RobertaLMHead(RobertaConfig config) : base(nameof(RobertaLMHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        bias = new Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <summary>Vocabulary logits. The activation is always the exact GELU, whatever <c>hidden_act</c> says, as in transformers.</summary>
    public Tensor forward(Tensor hidden, Tensor decoderWeight) =>
        nn.functional.linear(layer_norm.forward(nn.functional.gelu(dense.forward(hidden))), decoderWeight, bias);
}

/// <summary>
/// transformers' <c>RobertaForMaskedLM</c>: the encoder (<c>roberta.*</c>, no pooler), then <c>lm_head</c>; the decoder weight is
/// <c>roberta.embeddings.word_embeddings.weight</c>.
/// </summary>
public sealed class RobertaForMaskedLM : MaskedLMModel
{
    private readonly RobertaModel roberta;
    private readonly RobertaLMHead lm_head;

    /// <summary>Creates the model with uninitialised weights; load or <see cref="PreTrainedModel.InitializeWeights(Generator?)"/> next.</summary>
    public RobertaForMaskedLM(RobertaConfig config) : base(nameof(RobertaForMaskedLM), config)
    {
        roberta = new RobertaModel(config);
        lm_head = new RobertaLMHead(config);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string BaseModelPrefix => "roberta";

    /// <inheritdoc />
    public override Parameter WordEmbeddings => roberta.WordEmbeddings;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> TiedWeights { get; } =
        new Dictionary<string, string> { ["lm_head.decoder.weight"] = "roberta.embeddings.word_embeddings.weight" };

    /// <inheritdoc />
    protected override IEnumerable<(string Parameter, long Row)> PaddingRows() =>
    [
        ("roberta.embeddings.word_embeddings.weight", ((RobertaConfig)Config).PaddingIdx),
        ("roberta.embeddings.position_embeddings.weight", ((RobertaConfig)Config).PaddingIdx),
    ];

    /// <inheritdoc />
    protected override Tensor EncodeCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        roberta.forward(inputIds, attentionMask, tokenTypeIds, hiddenStates);

    /// <inheritdoc />
    protected override Tensor PredictCore(Tensor hidden) => lm_head.forward(hidden, roberta.WordEmbeddings);

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => name.StartsWith("lm_head.", StringComparison.Ordinal);
}
