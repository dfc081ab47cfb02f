using System.Collections;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// The encodings of a batch, one per input, padded as requested. The flat accessors give row-major
/// <c>[Count, SequenceLength]</c> arrays ready for a tensor.
/// </summary>
public sealed class BatchEncoding : IReadOnlyList<Encoding>
{
    private readonly Encoding[] _encodings;

    internal BatchEncoding(Encoding[] encodings) => _encodings = encodings;

    /// <summary>The number of encodings.</summary>
    public int Count => _encodings.Length;

    /// <summary>The encoding of input <paramref name="index"/>.</summary>
    public Encoding this[int index] => _encodings[index];

    /// <summary>The common length of every encoding (the batch is rectangular after padding); throws otherwise.</summary>
    public int SequenceLength
    {
        get
        {
            if (_encodings.Length == 0) return 0;
            var length = _encodings[0].Length;
            foreach (var e in _encodings)
                if (e.Length != length)
                    throw new InvalidOperationException("The encodings have different lengths; encode with padding to get a rectangular batch.");
            return length;
        }
    }

    /// <summary><c>input_ids</c> as a row-major <c>[Count, SequenceLength]</c> array.</summary>
    public long[] InputIdsFlat() => Count == 0 ? [] : Rectangular().InputIds;

    /// <summary><c>attention_mask</c> as a row-major <c>[Count, SequenceLength]</c> array.</summary>
    public long[] AttentionMaskFlat() => Count == 0 ? [] : Rectangular().AttentionMask;

    /// <summary><c>token_type_ids</c> as a row-major <c>[Count, SequenceLength]</c> array.</summary>
    public long[] TokenTypeIdsFlat() => Count == 0 ? [] : Rectangular().TokenTypeIds!;

    /// <inheritdoc />
    public IEnumerator<Encoding> GetEnumerator() => ((IEnumerable<Encoding>)_encodings).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _encodings.GetEnumerator();

    // Already padded by the tokenizer: the pad id is never used, only the length check matters.
    private PaddedBatch Rectangular()
    {
        _ = SequenceLength;
        return PaddedBatch.Create(_encodings, padTokenId: 0);
    }
}

/// <summary>
/// Encodings of different lengths as one right-padded batch (dynamic padding, transformers'
/// <c>DataCollatorWithPadding</c>): row-major <c>[Count, SequenceLength]</c> int64 arrays, padded to the batch's
/// longest member with the pad id (<c>input_ids</c>) and 0 (<c>attention_mask</c>, <c>token_type_ids</c>). The one
/// padding routine of Classify: the tokenizer's <see cref="BatchEncoding"/>, the trainer's batches and every
/// predictor's forward passes go through <see cref="Create"/>.
/// </summary>
public sealed class PaddedBatch
{
    private PaddedBatch(int[] rows, int length, long[] inputIds, long[] attentionMask, long[]? tokenTypeIds)
    {
        Rows = rows;
        SequenceLength = length;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary>For each row of the batch, the index of its encoding in the list it was taken from.</summary>
    public IReadOnlyList<int> Rows { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Rows.Count;

    /// <summary>Positions per row: the longest encoding's length.</summary>
    public int SequenceLength { get; }

    /// <summary>The tensor shape <c>[Count, SequenceLength]</c>.</summary>
    public long[] Shape => [Count, SequenceLength];

    /// <summary><c>input_ids</c>, padding with the pad id.</summary>
    public long[] InputIds { get; }

    /// <summary><c>attention_mask</c>: 1 for tokens, 0 for padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary><c>token_type_ids</c> (0 for padding), or null when the batch was made without them.</summary>
    public long[]? TokenTypeIds { get; }

    /// <summary>
    /// Pads <paramref name="encodings"/> (those at <paramref name="rows"/>, in that order, when given) on the right with
    /// <paramref name="padTokenId"/>. <paramref name="tokenTypes"/> false leaves <see cref="TokenTypeIds"/> null (for
    /// models without a segment embedding). <paramref name="minimumLength"/>, when given, pads every row to at least
    /// that many positions (a fixed shape, see <see cref="Inference.ClassifierInputs.PaddedLength"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    public static PaddedBatch Create(IReadOnlyList<Encoding> encodings, int padTokenId, IReadOnlyList<int>? rows = null, bool tokenTypes = true,
        int minimumLength = 0)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        var picked = rows?.ToArray() ?? Enumerable.Range(0, encodings.Count).ToArray();
        if (picked.Length == 0) throw new ArgumentException("An empty batch cannot be padded.", nameof(encodings));
        int length = Math.Max(0, minimumLength);
        foreach (var i in picked) length = Math.Max(length, encodings[i].Length);
        var ids = new long[picked.Length * length];
        var mask = new long[picked.Length * length];
        var types = tokenTypes ? new long[picked.Length * length] : null;
        Array.Fill(ids, padTokenId);
        for (int r = 0; r < picked.Length; r++)
        {
            var e = encodings[picked[r]];
            int offset = r * length;
            for (int t = 0; t < e.Length; t++)
            {
                ids[offset + t] = e.InputIds[t];
                mask[offset + t] = e.AttentionMask[t];
                if (types is not null) types[offset + t] = e.TokenTypeIds[t];
            }
        }
        return new PaddedBatch(picked, length, ids, mask, types);
    }
}
