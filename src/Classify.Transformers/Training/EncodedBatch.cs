using Classify.HuggingFace.Tokenization;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// A <see cref="PaddedBatch"/> as int64 tensors <c>[batch, seq]</c> (<c>token_type_ids</c> null when the batch has
/// none). Owns its tensors.
/// </summary>
internal sealed class EncodedBatch : IDisposable
{
    public EncodedBatch(PaddedBatch batch)
    {
        var shape = batch.Shape;
        InputIds = tensor(batch.InputIds, shape);
        AttentionMask = tensor(batch.AttentionMask, shape);
        TokenTypeIds = batch.TokenTypeIds is null ? null : tensor(batch.TokenTypeIds, shape);
    }

    /// <summary><c>input_ids</c>.</summary>
    public Tensor InputIds { get; }
    /// <summary><c>attention_mask</c>: 1 for tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }
    /// <summary><c>token_type_ids</c>, or null for models without segment embeddings.</summary>
    public Tensor? TokenTypeIds { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
    }
}
