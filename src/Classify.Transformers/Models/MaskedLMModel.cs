using Classify.HuggingFace.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Base of the <c>*ForMaskedLM</c> ports: an encoder shared with the classification models, a prediction transform,
/// and a decoder whose weight <em>is</em> the word embedding matrix (one parameter, one optimiser update; never saved,
/// see <see cref="PreTrainedModel.TiedWeights"/>) plus a bias of its own.
/// </summary>
public abstract class MaskedLMModel : PreTrainedModel
{
    /// <summary>The label value of positions that are not predicted (PyTorch's <c>ignore_index</c>, HF's −100).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Creates the module tree; subclasses register their components.</summary>
    protected MaskedLMModel(string name, PretrainedConfig config) : base(name, config) { }

    /// <inheritdoc />
    internal override ModelHead Head => ModelHead.MaskedLM;

    /// <summary>Number of rows of the output projection (<c>vocab_size</c>).</summary>
    public long VocabSize => WordEmbeddings.shape[0];

    /// <summary>
    /// Runs the model: logits over the vocabulary at every position, <c>[batch, seq, vocab]</c>, and, when
    /// <paramref name="labels"/> (<c>[batch, seq]</c> int64, <see cref="IgnoreIndex"/> where nothing is predicted) is given,
    /// HF's MLM loss: cross-entropy averaged over the labelled positions (NaN when there are none, as in torch).
    /// Inputs as <see cref="SequenceClassificationModel.Forward"/>; dropout is active in <c>train()</c> mode.
    /// </summary>
    public MaskedLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null,
        bool outputHiddenStates = false)
    {
        using var scope = NewDisposeScope();
        CheckIndices(inputIds, tokenTypeIds);
        if (labels is not null && !labels.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"labels must have the shape of the input ids [{string.Join(", ", inputIds.shape)}], found [{string.Join(", ", labels.shape)}]", nameof(labels));
        var mask = attentionMask ?? ones_like(inputIds);
        var hidden = outputHiddenStates ? new List<Tensor>() : null;
        var logits = ForwardCore(inputIds, mask, tokenTypeIds, hidden);
        var loss = labels is null ? null : Loss(logits, labels);
        return new MaskedLMOutput(logits.MoveToOuterDisposeScope(), loss?.MoveToOuterDisposeScope(),
            hidden?.Select(h => h.MoveToOuterDisposeScope()).ToList());
    }

    /// <summary>
    /// HF's <c>ForMaskedLMLoss</c>: <c>cross_entropy(logits.view(−1, V).float(), labels.view(−1), ignore_index=−100)</c>, the
    /// mean over the positions whose label is not <see cref="IgnoreIndex"/>.
    /// </summary>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var flat = logits.reshape(-1, logits.shape[^1]).to_type(ScalarType.Float32);
        var loss = nn.functional.cross_entropy(flat, labels.reshape(-1).to_type(ScalarType.Int64), ignore_index: IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The MLM loss of <see cref="Forward"/> (same value up to float rounding) computed sparsely: the encoder runs on every
    /// position, the prediction head and the vocabulary projection only on the labelled ones (as ModernBERT's
    /// <c>sparse_prediction</c>). The head works position by position, so the labelled positions' logits and the loss are
    /// those of the dense pass; with 15% masking this skips ~85% of the <c>[tokens, vocab]</c> projection, which dominates a
    /// small encoder's step. NaN when no position is labelled, as <see cref="Loss"/>.
    /// </summary>
    public Tensor MaskedLoss(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, Tensor labels)
    {
        using var scope = NewDisposeScope();
        CheckIndices(inputIds, tokenTypeIds);
        if (!labels.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"labels must have the shape of the input ids [{string.Join(", ", inputIds.shape)}], found [{string.Join(", ", labels.shape)}]", nameof(labels));
        var last = EncodeCore(inputIds, attentionMask, tokenTypeIds, null);
        var flatLabels = labels.reshape(-1).to_type(ScalarType.Int64);
        var positions = flatLabels.ne(IgnoreIndex).nonzero().reshape(-1);
        var selected = last.reshape(-1, last.shape[^1]).index_select(0, positions);
        var logits = PredictCore(selected).to_type(ScalarType.Float32);
        var loss = nn.functional.cross_entropy(logits, flatLabels.index_select(0, positions));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The forward pass to the vocabulary logits; appends hidden states when <paramref name="hiddenStates"/> is not null.</summary>
    private Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates) =>
        PredictCore(EncodeCore(inputIds, attentionMask, tokenTypeIds, hiddenStates));

    /// <summary>The family's encoder: the last hidden states <c>[batch, seq, hidden]</c>; appends hidden states when <paramref name="hiddenStates"/> is not null.</summary>
    protected abstract Tensor EncodeCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates);

    /// <summary>The family's MLM head on hidden states <c>[…, hidden]</c>: the vocabulary logits <c>[…, vocab]</c>, position by position.</summary>
    protected abstract Tensor PredictCore(Tensor hidden);
}

/// <summary>The output projection of an MLM head: <c>x·Eᵀ + bias</c> with <c>E</c> the word embeddings, passed in at each call.</summary>
internal sealed class TiedDecoder : nn.Module
{
#pragma warning disable IDE1006 // names follow the checkpoint keys
    private readonly Parameter? bias;
#pragma warning restore IDE1006

    /// <summary>A decoder over <paramref name="vocabSize"/> tokens, with a bias unless <paramref name="hasBias"/> is false.</summary>
    public TiedDecoder(long vocabSize, bool hasBias = true) : base(nameof(TiedDecoder))
    {
        if (hasBias) bias = new Parameter(zeros(vocabSize));
        RegisterComponents();
    }

    /// <summary>Vocabulary logits of <paramref name="hidden"/> <c>[…, hidden]</c>.</summary>
    public Tensor forward(Tensor hidden, Tensor weight) => nn.functional.linear(hidden, weight, bias);
}

/// <summary>What a <c>*ForMaskedLM</c> forward pass returns: the logits, the loss when labels were given, the hidden states when asked. Owns its tensors.</summary>
public sealed class MaskedLMOutput : IDisposable
{
    /// <summary>Creates the output.</summary>
    public MaskedLMOutput(Tensor logits, Tensor? loss, IReadOnlyList<Tensor>? hiddenStates)
    {
        Logits = logits;
        Loss = loss;
        HiddenStates = hiddenStates;
    }

    /// <summary>Unnormalised scores over the vocabulary, <c>[batch, seq, vocab_size]</c>.</summary>
    public Tensor Logits { get; }

    /// <summary>The mean cross-entropy over labelled positions (a scalar), or null without labels.</summary>
    public Tensor? Loss { get; }

    /// <summary>The embedding output, then each layer's output (as <see cref="SequenceClassifierOutput.HiddenStates"/>); null unless requested.</summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Logits.Dispose();
        Loss?.Dispose();
        if (HiddenStates != null)
            foreach (var h in HiddenStates) h.Dispose();
    }
}
