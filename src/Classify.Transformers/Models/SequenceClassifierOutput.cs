using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// What a <c>*ForSequenceClassification</c> forward pass returns, as in transformers: the logits and, when asked,
/// the hidden states (embedding output first, then one entry per layer). Owns its tensors.
/// </summary>
public sealed class SequenceClassifierOutput : IDisposable
{
    /// <summary>Creates the output.</summary>
    public SequenceClassifierOutput(Tensor logits, IReadOnlyList<Tensor>? hiddenStates)
    {
        Logits = logits;
        HiddenStates = hiddenStates;
    }

    /// <summary>Unnormalised scores, <c>[batch, num_labels]</c>.</summary>
    public Tensor Logits { get; }

    /// <summary>
    /// <c>[batch, seq, hidden]</c> per stage: the embedding output, then the output of each layer (for ModernBERT
    /// the last entry is before <c>final_norm</c>, as in transformers). Null unless requested.
    /// </summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Logits.Dispose();
        if (HiddenStates != null)
            foreach (var h in HiddenStates) h.Dispose();
    }
}
