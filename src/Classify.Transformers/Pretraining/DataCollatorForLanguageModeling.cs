using Classify.Core.Randomness;
using static TorchSharp.torch;

namespace Classify.Transformers.Pretraining;

/// <summary>
/// Masks batches for masked-language-model training with the semantics of transformers'
/// <c>DataCollatorForLanguageModeling(mlm=True)</c>: each real token (not special, not padding) is chosen with
/// <see cref="MaskingOptions.MlmProbability"/>; a chosen token is labelled with its original id and replaced by the mask
/// token (<see cref="MaskingOptions.MaskReplaceProbability"/>, 80 %), by a token drawn uniformly from the vocabulary
/// (<see cref="MaskingOptions.RandomReplaceProbability"/>, 10 %) or kept (the rest); every other label is
/// <see cref="Models.MaskedLMModel.IgnoreIndex"/> (−100). With <see cref="MaskingOptions.WholeWordMask"/> whole words are
/// chosen. Rows are padded on the right to the longest one (rounded up to <see cref="MaskingOptions.PadToMultipleOf"/>).
/// </summary>
/// <remarks>
/// The draws come from one <see cref="SeededRandom"/> stream (purpose <c>"mlm-masking"</c>) owned by the collator, so a
/// collator created with the same seed and given the same batches in the same order returns identical batches. The
/// choices are made independently per token (per word), as transformers' Bernoulli draws, not as a fixed count per row.
/// Not thread-safe.
/// </remarks>
public sealed class DataCollatorForLanguageModeling
{
    private readonly SeededRandom _random;

    /// <summary>Creates the collator.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option out of range (<see cref="MaskingOptions.Validate"/>).</exception>
    public DataCollatorForLanguageModeling(MaskingVocabulary vocabulary, MaskingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        Options = options ?? new MaskingOptions();
        Options.Validate();
        _random = SeededRandom.ForPurpose(Options.Seed, "mlm-masking");
    }

    /// <summary>The vocabulary.</summary>
    public MaskingVocabulary Vocabulary { get; }

    /// <summary>The options.</summary>
    public MaskingOptions Options { get; }

    /// <summary>Pads <paramref name="examples"/> (token ids with special tokens, e.g. from <see cref="MlmExamples"/>) and masks them.</summary>
    /// <exception cref="ArgumentException">No examples, or an id outside the vocabulary.</exception>
    public MaskedBatch Collate(IReadOnlyList<IReadOnlyList<int>> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example", nameof(examples));
        int length = examples.Max(e => e.Count);
        if (Options.PadToMultipleOf is int multiple) length = (length + multiple - 1) / multiple * multiple;
        var ids = new long[examples.Count * length];
        var mask = new long[ids.Length];
        var labels = new long[ids.Length];
        Array.Fill(ids, Vocabulary.PadTokenId);
        Array.Fill(labels, Models.MaskedLMModel.IgnoreIndex);
        var chosen = new bool[length];
        for (int row = 0; row < examples.Count; row++)
        {
            var example = examples[row];
            int offset = row * length;
            for (int i = 0; i < example.Count; i++)
            {
                int id = example[i];
                if (id < 0 || id >= Vocabulary.Size)
                    throw new ArgumentException($"example {row} holds token id {id}, outside the vocabulary of {Vocabulary.Size}", nameof(examples));
                ids[offset + i] = id;
                mask[offset + i] = 1;
            }
            Choose(example, chosen);
            for (int i = 0; i < example.Count; i++)
            {
                if (!chosen[i]) continue;
                labels[offset + i] = example[i];
                double u = _random.NextDouble();
                if (u < Options.MaskReplaceProbability) ids[offset + i] = Vocabulary.MaskTokenId;
                else if (u < Options.MaskReplaceProbability + Options.RandomReplaceProbability) ids[offset + i] = _random.NextInt(Vocabulary.Size);
            }
        }
        return new MaskedBatch(examples.Count, length, ids, mask, labels);
    }

    // Marks the chosen positions of one row: tokens, or with whole-word masking every token of a chosen word.
    private void Choose(IReadOnlyList<int> example, bool[] chosen)
    {
        Array.Clear(chosen);
        double p = Options.MlmProbability;
        bool wordChosen = false;
        for (int i = 0; i < example.Count; i++)
        {
            int id = example[i];
            if (Vocabulary.IsSpecial(id)) continue;
            if (!Options.WholeWordMask)
            {
                chosen[i] = _random.NextDouble() < p;
                continue;
            }
            bool continues = i > 0 && !Vocabulary.IsSpecial(example[i - 1]) && Vocabulary.ContinuesWord(id);
            if (!continues) wordChosen = _random.NextDouble() < p;
            chosen[i] = wordChosen;
        }
    }

    /// <summary>
    /// The word of each position of <paramref name="example"/> under this collator's vocabulary: −1 for special tokens and
    /// padding, otherwise the index of the word (0, 1, …) that whole-word masking chooses as one.
    /// </summary>
    public int[] WordIds(IReadOnlyList<int> example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var words = new int[example.Count];
        int word = -1;
        for (int i = 0; i < example.Count; i++)
        {
            if (Vocabulary.IsSpecial(example[i])) { words[i] = -1; continue; }
            bool continues = i > 0 && !Vocabulary.IsSpecial(example[i - 1]) && Vocabulary.ContinuesWord(example[i]);
            if (!continues) word++;
            words[i] = word;
        }
        return words;
    }
}

/// <summary>A padded, masked batch, row-major <c>[Rows, Length]</c>.</summary>
/// <param name="Rows">Number of rows.</param>
/// <param name="Length">Padded length of every row.</param>
/// <param name="InputIds">The ids after masking (padding id beyond each row's end).</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
/// <param name="Labels">The original id at chosen positions, −100 elsewhere.</param>
public sealed record MaskedBatch(int Rows, int Length, long[] InputIds, long[] AttentionMask, long[] Labels)
{
    /// <summary>The three arrays as int64 tensors <c>[Rows, Length]</c> (input ids, attention mask, labels), for <see cref="Models.MaskedLMModel.Forward"/>.</summary>
    public (Tensor InputIds, Tensor AttentionMask, Tensor Labels) ToTensors() =>
        (tensor(InputIds, [Rows, Length]), tensor(AttentionMask, [Rows, Length]), tensor(Labels, [Rows, Length]));
}
