using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Base of the <c>*ForSequenceClassification</c> ports: an encoder and a classification head on top of
/// <see cref="PreTrainedModel"/>.
/// </summary>
public abstract class SequenceClassificationModel : PreTrainedModel
{
    /// <summary>Creates the module tree; subclasses register their components.</summary>
    protected SequenceClassificationModel(string name, PretrainedConfig config) : base(name, config) { }

    /// <inheritdoc />
    internal override ModelHead Head => ModelHead.SequenceClassification;

    /// <inheritdoc />
    protected override bool IsHeadParameter(string name) => name.StartsWith("classifier.", StringComparison.Ordinal);

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

    /// <summary>The family's forward pass; appends hidden states to <paramref name="hiddenStates"/> when it is not null.</summary>
    protected abstract Tensor ForwardCore(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, List<Tensor>? hiddenStates);
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

/// <summary>What <see cref="PreTrainedModel.LoadWeights(ISafeTensorsReader, string, WeightLoadMode)"/> lets a checkpoint lack.</summary>
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
