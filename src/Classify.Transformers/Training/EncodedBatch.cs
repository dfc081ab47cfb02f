using Classify.HuggingFace.Tokenization;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// A batch of encodings padded on the right to its longest member (dynamic padding, HF's
/// <c>DataCollatorWithPadding</c>), as int64 tensors <c>[batch, seq]</c>. Owns its tensors.
/// </summary>
public sealed class EncodedBatch : IDisposable
{
    private EncodedBatch(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary><c>input_ids</c>.</summary>
    public Tensor InputIds { get; }
    /// <summary><c>attention_mask</c>: 1 for tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }
    /// <summary><c>token_type_ids</c>: segment ids (0 for padding).</summary>
    public Tensor TokenTypeIds { get; }
    /// <summary>Number of inputs.</summary>
    public long Count => InputIds.shape[0];

    /// <summary>Pads <paramref name="encodings"/> (taken in <paramref name="order"/> when given) with <paramref name="padTokenId"/>.</summary>
    public static EncodedBatch Collate(IReadOnlyList<Encoding> encodings, int padTokenId, IReadOnlyList<int>? order = null)
    {
        int n = order?.Count ?? encodings.Count;
        if (n == 0) throw new ArgumentException("An empty batch cannot be collated.", nameof(encodings));
        int length = 0;
        for (int i = 0; i < n; i++) length = Math.Max(length, encodings[order?[i] ?? i].Length);
        var ids = new long[n * length];
        var mask = new long[n * length];
        var types = new long[n * length];
        Array.Fill(ids, padTokenId);
        for (int i = 0; i < n; i++)
        {
            var e = encodings[order?[i] ?? i];
            int row = i * length;
            for (int t = 0; t < e.Length; t++)
            {
                ids[row + t] = e.InputIds[t];
                mask[row + t] = e.AttentionMask[t];
                types[row + t] = e.TokenTypeIds[t];
            }
        }
        long[] shape = [n, length];
        return new EncodedBatch(tensor(ids, shape), tensor(mask, shape), tensor(types, shape));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }
}
