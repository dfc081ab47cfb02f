using Classify.HuggingFace.Tokenization;

namespace Classify.Transformers.Pretraining;

/// <summary>
/// Turns raw texts into token-id examples for <see cref="DataCollatorForLanguageModeling"/>, the two ways of transformers'
/// <c>run_mlm.py</c>: one example per line, or all texts concatenated and cut into blocks (<c>group_texts</c>).
/// </summary>
public static class MlmExamples
{
    /// <summary>
    /// <c>--line_by_line</c>: each text that is not empty or whitespace becomes one example, with the tokenizer's special
    /// tokens, truncated to <paramref name="maxLength"/> tokens.
    /// </summary>
    public static List<int[]> LineByLine(PreTrainedTokenizer tokenizer, IEnumerable<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var options = new EncodeOptions { MaxLength = maxLength, Truncation = TruncationStrategy.LongestFirst };
        return texts.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => tokenizer.Encode(t, null, options).InputIds).ToList();
    }

    /// <summary>
    /// <c>group_texts</c>: every text is tokenized with its special tokens, all are concatenated in order, and the stream
    /// is cut into blocks of exactly <paramref name="blockSize"/> tokens; the remainder shorter than a block is dropped.
    /// Unlike <c>run_mlm.py</c>, which groups within each <c>map</c> batch of 1,000 texts, the whole sequence is grouped at
    /// once, so only one remainder is dropped.
    /// </summary>
    public static List<int[]> Grouped(PreTrainedTokenizer tokenizer, IEnumerable<string> texts, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        return Group(texts.Select(t => (IReadOnlyList<int>)tokenizer.Encode(t).InputIds), blockSize);
    }

    /// <summary>The grouping of <see cref="Grouped"/> on already tokenized texts.</summary>
    public static List<int[]> Group(IEnumerable<IReadOnlyList<int>> tokenized, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(tokenized);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var blocks = new List<int[]>();
        var current = new int[blockSize];
        int filled = 0;
        foreach (var ids in tokenized)
            foreach (var id in ids)
            {
                current[filled++] = id;
                if (filled < blockSize) continue;
                blocks.Add(current);
                current = new int[blockSize];
                filled = 0;
            }
        return blocks;
    }
}
