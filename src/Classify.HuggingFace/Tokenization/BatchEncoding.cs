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
    public long[] InputIdsFlat() => Flatten(e => e.InputIds);

    /// <summary><c>attention_mask</c> as a row-major <c>[Count, SequenceLength]</c> array.</summary>
    public long[] AttentionMaskFlat() => Flatten(e => e.AttentionMask);

    /// <summary><c>token_type_ids</c> as a row-major <c>[Count, SequenceLength]</c> array.</summary>
    public long[] TokenTypeIdsFlat() => Flatten(e => e.TokenTypeIds);

    /// <inheritdoc />
    public IEnumerator<Encoding> GetEnumerator() => ((IEnumerable<Encoding>)_encodings).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _encodings.GetEnumerator();

    private long[] Flatten(Func<Encoding, int[]> select)
    {
        var length = SequenceLength;
        var flat = new long[_encodings.Length * length];
        for (var i = 0; i < _encodings.Length; i++)
        {
            var row = select(_encodings[i]);
            for (var j = 0; j < length; j++) flat[i * length + j] = row[j];
        }
        return flat;
    }
}
