namespace Classify.Transformers.Pretraining;

/// <summary>
/// The settings of <see cref="DataCollatorForLanguageModeling"/>, named after transformers'
/// <c>DataCollatorForLanguageModeling</c> arguments.
/// </summary>
public sealed record MaskingOptions
{
    /// <summary><c>mlm_probability</c>: the chance that a real (not special, not padding) token — or, with
    /// <see cref="WholeWordMask"/>, a word — is chosen for prediction. Default 0.15; must lie strictly between 0 and 1.</summary>
    public double MlmProbability { get; init; } = 0.15;

    /// <summary><c>mask_replace_prob</c>: the share of chosen tokens replaced by the mask token. Default 0.8.</summary>
    public double MaskReplaceProbability { get; init; } = 0.8;

    /// <summary><c>random_replace_prob</c>: the share of chosen tokens replaced by a token drawn uniformly from the whole
    /// vocabulary (special tokens and the original token included, as in transformers). Default 0.1; the remaining
    /// 1 − mask − random share keeps its original token.</summary>
    public double RandomReplaceProbability { get; init; } = 0.1;

    /// <summary>
    /// Choose whole words rather than single tokens: a word is chosen with <see cref="MlmProbability"/> and all its tokens
    /// are then predicted (each still masked, replaced or kept on its own, as in Google's BERT and transformers'
    /// <c>DataCollatorForWholeWordMask</c>). Word boundaries: see <see cref="WordBoundary"/>.
    /// </summary>
    public bool WholeWordMask { get; init; }

    /// <summary><c>pad_to_multiple_of</c>: rows are padded to the longest row rounded up to a multiple of this (null: the longest row).</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>The seed of the masking stream; equal seeds and equal inputs give equal batches.</summary>
    public ulong Seed { get; init; }

    /// <summary>Checks the probabilities.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A probability out of range, or mask + random above 1.</exception>
    public void Validate()
    {
        if (!(MlmProbability > 0 && MlmProbability < 1))
            throw new ArgumentOutOfRangeException(nameof(MlmProbability), MlmProbability, "mlm_probability must lie strictly between 0 and 1");
        if (!(MaskReplaceProbability >= 0 && MaskReplaceProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaskReplaceProbability), MaskReplaceProbability, "mask_replace_prob must lie in [0, 1]");
        if (!(RandomReplaceProbability >= 0 && RandomReplaceProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(RandomReplaceProbability), RandomReplaceProbability, "random_replace_prob must lie in [0, 1]");
        if (PadToMultipleOf is < 1)
            throw new ArgumentOutOfRangeException(nameof(PadToMultipleOf), PadToMultipleOf, "pad_to_multiple_of must be positive");
        if (MaskReplaceProbability + RandomReplaceProbability > 1)
            throw new ArgumentOutOfRangeException(nameof(RandomReplaceProbability), RandomReplaceProbability,
                "mask_replace_prob + random_replace_prob must not exceed 1");
    }
}

/// <summary>How whole-word masking finds where a word starts.</summary>
public enum WordBoundary
{
    /// <summary>WordPiece (BERT, DistilBERT): a token beginning with <c>##</c> continues the word before it; every other token starts a word.</summary>
    WordPiece,

    /// <summary>
    /// Byte-level BPE (RoBERTa, ModernBERT): a token beginning with <c>Ġ</c> (the space byte) starts a word, as does the
    /// first token after a special token or the start of the row; every other token continues the word before it
    /// (so punctuation attached to a word, <c>Hello,</c>, belongs to it, as with transformers' offset-based grouping).
    /// </summary>
    ByteLevel,
}
