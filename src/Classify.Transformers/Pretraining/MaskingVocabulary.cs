using Classify.HuggingFace.Tokenization;

namespace Classify.Transformers.Pretraining;

/// <summary>
/// What masking needs to know about a vocabulary: the mask and padding ids, the special ids (never chosen), the number
/// of ids random replacements are drawn from, and which ids continue a word (for whole-word masking).
/// </summary>
public sealed class MaskingVocabulary
{
    private readonly bool[] _continuesWord;
    private readonly bool[] _special;

    /// <summary>Creates the vocabulary.</summary>
    /// <param name="size">Random replacements are drawn uniformly from 0…size−1 (transformers: <c>len(tokenizer)</c>).</param>
    /// <param name="maskTokenId">The mask token.</param>
    /// <param name="padTokenId">The padding token (rows are padded with it on the right).</param>
    /// <param name="specialIds">Ids never chosen (the tokenizer's <c>all_special_ids</c>; padding is never chosen either).</param>
    /// <param name="continuesWord">For whole-word masking: true for an id that continues the word before it; null: every token is a word.</param>
    /// <param name="boundary">The rule <paramref name="continuesWord"/> implements (reported, and <see cref="WordBoundary.ByteLevel"/> starts a word after a special token).</param>
    public MaskingVocabulary(int size, int maskTokenId, int padTokenId, IEnumerable<int> specialIds, Func<int, bool>? continuesWord = null,
        WordBoundary boundary = WordBoundary.WordPiece)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(maskTokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(maskTokenId, size);
        ArgumentNullException.ThrowIfNull(specialIds);
        Size = size;
        MaskTokenId = maskTokenId;
        PadTokenId = padTokenId;
        Boundary = boundary;
        _special = new bool[size];
        foreach (var id in specialIds)
            if (id >= 0 && id < size) _special[id] = true;
        if (padTokenId >= 0 && padTokenId < size) _special[padTokenId] = true;
        _continuesWord = new bool[size];
        if (continuesWord is not null)
            for (int id = 0; id < size; id++) _continuesWord[id] = !_special[id] && continuesWord(id);
    }

    /// <summary>The number of ids random replacements are drawn from.</summary>
    public int Size { get; }

    /// <summary>The mask token id.</summary>
    public int MaskTokenId { get; }

    /// <summary>The padding id.</summary>
    public int PadTokenId { get; }

    /// <summary>The word boundary rule of whole-word masking.</summary>
    public WordBoundary Boundary { get; }

    /// <summary>True for special tokens and padding, which are never chosen.</summary>
    public bool IsSpecial(int id) => id < 0 || id >= Size || _special[id];

    /// <summary>True when <paramref name="id"/> continues the word before it.</summary>
    public bool ContinuesWord(int id) => id >= 0 && id < Size && _continuesWord[id];

    /// <summary>
    /// The vocabulary of <paramref name="tokenizer"/>: <c>len(tokenizer)</c> ids, its mask, pad and special tokens, and the
    /// word rule of its kind: <see cref="WordBoundary.WordPiece"/> for <see cref="BertTokenizer"/> (BERT, DistilBERT),
    /// <see cref="WordBoundary.ByteLevel"/> for the byte-level BPE tokenizers (RoBERTa, ModernBERT).
    /// </summary>
    /// <exception cref="ArgumentException">The tokenizer has no mask token (transformers refuses MLM without one) or no pad token.</exception>
    public static MaskingVocabulary FromTokenizer(PreTrainedTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var mask = tokenizer.MaskTokenId ?? throw new ArgumentException(
            "the tokenizer has no mask token, which masked language modeling needs", nameof(tokenizer));
        var pad = tokenizer.PadTokenId ?? throw new ArgumentException("the tokenizer has no pad token", nameof(tokenizer));
        var boundary = tokenizer is BertTokenizer ? WordBoundary.WordPiece : WordBoundary.ByteLevel;
        Func<int, bool> continues = boundary == WordBoundary.WordPiece
            ? id => tokenizer.IdToToken(id) is { } t && t.StartsWith("##", StringComparison.Ordinal)
            : id => tokenizer.IdToToken(id) is { } t && !t.StartsWith('\u0120');
        return new MaskingVocabulary(tokenizer.Count, mask, pad, tokenizer.AllSpecialIds, continues, boundary);
    }
}
