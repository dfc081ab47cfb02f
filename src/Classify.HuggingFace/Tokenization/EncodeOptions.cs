namespace Classify.HuggingFace.Tokenization;

/// <summary>How an over-long input is cut (transformers' <c>truncation</c> argument).</summary>
public enum TruncationStrategy
{
    /// <summary><c>do_not_truncate</c>: keep every token.</summary>
    DoNotTruncate,
    /// <summary><c>longest_first</c>: remove tokens from the longer segment first (see <see cref="LongestFirstRule"/>).</summary>
    LongestFirst,
    /// <summary><c>only_first</c>: cut the first segment only.</summary>
    OnlyFirst,
    /// <summary><c>only_second</c>: cut the second segment only.</summary>
    OnlySecond,
}

/// <summary>How encodings are padded (transformers' <c>padding</c> argument). Padding is always on the right.</summary>
public enum PaddingStrategy
{
    /// <summary><c>do_not_pad</c>.</summary>
    DoNotPad,
    /// <summary><c>longest</c>: pad every encoding of a batch to the longest one.</summary>
    Longest,
    /// <summary><c>max_length</c>: pad to <see cref="EncodeOptions.MaxLength"/> (or the model maximum).</summary>
    MaxLength,
}

/// <summary>
/// How <see cref="TruncationStrategy.LongestFirst"/> shares the budget when both segments of a pair must be cut.
/// The two Hugging Face implementations disagree when the budget is odd and the first segment is not the longer one.
/// </summary>
public enum LongestFirstRule
{
    /// <summary>
    /// transformers' slow (Python) tokenizers: remove from the longer segment until both are equal, then alternate
    /// starting with the second, so the first keeps ⌈budget/2⌉ and the second ⌊budget/2⌋.
    /// </summary>
    Transformers,
    /// <summary>
    /// The Rust <c>tokenizers</c> library (fast tokenizers): when both must be cut the shorter keeps ⌊budget/2⌋ and the
    /// longer ⌈budget/2⌉; on a tie the second segment keeps the larger half.
    /// </summary>
    RustTokenizers,
}

/// <summary>Options of one encode call, named after transformers' <c>__call__</c> arguments.</summary>
public sealed record EncodeOptions
{
    /// <summary>The defaults: special tokens added, no truncation, no padding.</summary>
    public static EncodeOptions Default { get; } = new();

    /// <summary><c>add_special_tokens</c>: wrap the input with the model's special tokens ([CLS] … [SEP], &lt;s&gt; … &lt;/s&gt;).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary><c>max_length</c>: the length limit for truncation and <see cref="PaddingStrategy.MaxLength"/> padding, special tokens included.</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// <c>truncation</c>. When null: <see cref="TruncationStrategy.LongestFirst"/> if <see cref="MaxLength"/> is set
    /// (as transformers does), otherwise no truncation. An explicit strategy without <see cref="MaxLength"/> uses the model maximum.
    /// </summary>
    public TruncationStrategy? Truncation { get; init; }

    /// <summary>The pair-sharing rule of <see cref="TruncationStrategy.LongestFirst"/>; null uses the tokenizer's own (<see cref="PreTrainedTokenizer.DefaultLongestFirstRule"/>).</summary>
    public LongestFirstRule? LongestFirstRule { get; init; }

    /// <summary><c>padding</c>.</summary>
    public PaddingStrategy Padding { get; init; } = PaddingStrategy.DoNotPad;

    /// <summary><c>pad_to_multiple_of</c>: round the padded length up to a multiple of this.</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary><c>return_offsets_mapping</c>: fill <see cref="Encoding.Offsets"/>.</summary>
    public bool ReturnOffsets { get; init; }
}
