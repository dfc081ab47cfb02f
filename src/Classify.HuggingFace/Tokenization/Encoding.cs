namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// The model inputs for one text or text pair, as Hugging Face's <c>BatchEncoding</c> row / Rust <c>Encoding</c>.
/// All arrays have the same length: real tokens, then special tokens where the template puts them, then padding.
/// </summary>
public sealed class Encoding
{
    internal Encoding(int[] inputIds, int[] attentionMask, int[] tokenTypeIds, int[] specialTokensMask,
        int[] sequenceIds, string[] tokens, (int Start, int End)[]? offsets, int overflowingTokens)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        SpecialTokensMask = specialTokensMask;
        SequenceIds = sequenceIds;
        Tokens = tokens;
        Offsets = offsets;
        NumTruncatedTokens = overflowingTokens;
    }

    /// <summary><c>input_ids</c>.</summary>
    public int[] InputIds { get; private set; }

    /// <summary><c>attention_mask</c>: 1 for real and special tokens, 0 for padding.</summary>
    public int[] AttentionMask { get; private set; }

    /// <summary><c>token_type_ids</c> (segment ids): 0 for the first segment, 1 for the second where the model uses them; padding gets 0.</summary>
    public int[] TokenTypeIds { get; private set; }

    /// <summary><c>special_tokens_mask</c>: 1 for special tokens added by the template and for padding, 0 for tokens of the text.</summary>
    public int[] SpecialTokensMask { get; private set; }

    /// <summary><c>sequence_ids()</c>: 0 or 1 for tokens of the first or second text, -1 for special tokens and padding.</summary>
    public int[] SequenceIds { get; private set; }

    /// <summary>The vocabulary string of every id (<c>convert_ids_to_tokens</c>), e.g. <c>##ing</c> or <c>Ġworld</c>.</summary>
    public string[] Tokens { get; private set; }

    /// <summary>
    /// <c>offset_mapping</c> when requested with <see cref="EncodeOptions.ReturnOffsets"/>: the [Start, End) character
    /// span of each token in its own text (use <see cref="SequenceIds"/> to tell the texts of a pair apart); special
    /// tokens and padding get (0, 0). Null when not requested.
    /// </summary>
    public (int Start, int End)[]? Offsets { get; private set; }

    /// <summary>How many tokens of the text(s) truncation removed.</summary>
    public int NumTruncatedTokens { get; }

    /// <summary>The number of positions, padding included.</summary>
    public int Length => InputIds.Length;

    /// <summary>Pads on the right to <paramref name="length"/> positions (no-op when already as long).</summary>
    internal void PadTo(int length, int padId, string padToken)
    {
        var n = InputIds.Length;
        if (length <= n) return;
        InputIds = Grow(InputIds, length, padId);
        AttentionMask = Grow(AttentionMask, length, 0);
        TokenTypeIds = Grow(TokenTypeIds, length, 0);
        SpecialTokensMask = Grow(SpecialTokensMask, length, 1);
        SequenceIds = Grow(SequenceIds, length, -1);
        Tokens = Grow(Tokens, length, padToken);
        if (Offsets != null) Offsets = Grow(Offsets, length, (0, 0));
    }

    private static T[] Grow<T>(T[] source, int length, T fill)
    {
        var result = new T[length];
        source.CopyTo(result, 0);
        result.AsSpan(source.Length).Fill(fill);
        return result;
    }
}
