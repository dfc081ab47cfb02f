using Classify.Core.Randomness;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Pretraining;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Pretraining;

/// <summary>
/// <see cref="DataCollatorForLanguageModeling"/> against the semantics of transformers' collator: the rates of chosen,
/// masked, randomised and kept tokens on about 10⁶ tokens within 5 binomial standard deviations, specials and padding
/// never chosen, determinism per seed, whole words chosen together; and the line-by-line and grouped examples.
/// </summary>
public class DataCollatorTests
{
    private readonly ITestOutputHelper _out;

    public DataCollatorTests(ITestOutputHelper output) => _out = output;

    // A synthetic vocabulary: 0 pad, 1 unk, 2 cls, 3 sep, 4 mask, 5…999 ordinary tokens.
    private const int V = 1000, Pad = 0, Cls = 2, Sep = 3, Mask = 4;
    private static MaskingVocabulary Synthetic() => new(V, Mask, Pad, [0, 1, 2, 3, 4]);

    // Rows of [CLS] random tokens [SEP], of random lengths up to 128 so that batches get padding.
    private static List<int[]> Rows(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var row = new int[2 + 64 + random.NextInt(63)];
            row[0] = Cls;
            row[^1] = Sep;
            for (int i = 1; i < row.Length - 1; i++) row[i] = 5 + random.NextInt(V - 5);
            return row;
        }).ToList();
    }

    private static IEnumerable<(int[][] Examples, MaskedBatch Batch)> Batches(DataCollatorForLanguageModeling collator, List<int[]> rows, int size = 32)
    {
        for (int start = 0; start < rows.Count; start += size)
        {
            var examples = rows.Skip(start).Take(size).ToArray();
            yield return (examples, collator.Collate(examples));
        }
    }

    private static void WithinFiveSigma(string what, long hits, long trials, double p, ITestOutputHelper output)
    {
        double expected = trials * p, sigma = Math.Sqrt(trials * p * (1 - p));
        double z = (hits - expected) / sigma;
        output.WriteLine($"{what}: {hits} of {trials} ({(double)hits / trials:F5}, expected {p:F5}, z = {z:F2})");
        Assert.True(Math.Abs(z) <= 5, $"{what}: {hits} of {trials}, expected {expected:F0} ± {sigma:F0} (z = {z:F2})");
    }

    [Fact]
    public void Chosen_masked_random_and_kept_rates_match_the_binomial_on_a_million_tokens()
    {
        var collator = new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { Seed = 11 });
        long real = 0, chosen = 0, masked = 0, kept = 0, other = 0, randomSpecial = 0;
        foreach (var (examples, batch) in Batches(collator, Rows(10_600, 1), 64))
            for (int r = 0; r < batch.Rows; r++)
                for (int i = 0; i < examples[r].Length; i++)
                {
                    int original = examples[r][i];
                    long id = batch.InputIds[r * batch.Length + i], label = batch.Labels[r * batch.Length + i];
                    if (original is Cls or Sep) continue;
                    real++;
                    if (label == MaskedLMModel.IgnoreIndex) { Assert.Equal(original, id); continue; }
                    Assert.Equal(original, label);
                    chosen++;
                    if (id == Mask) masked++;
                    else if (id == original) kept++;
                    else
                    {
                        other++;
                        if (id < 5) randomSpecial++;
                    }
                }
        Assert.True(real > 1_000_000, $"{real} tokens");
        // A random replacement is uniform over all V ids: it may hit the mask id or the original token.
        WithinFiveSigma("chosen", chosen, real, 0.15, _out);
        WithinFiveSigma("mask token", masked, chosen, 0.8 + 0.1 / V, _out);
        WithinFiveSigma("kept", kept, chosen, 0.1 + 0.1 / V, _out);
        WithinFiveSigma("random other token", other, chosen, 0.1 * (V - 2.0) / V, _out);
        WithinFiveSigma("random special (uniform over the vocabulary, as transformers)", randomSpecial, other, 4.0 / (V - 2), _out);
    }

    [Fact]
    public void Custom_replacement_probabilities_are_honoured()
    {
        var collator = new DataCollatorForLanguageModeling(Synthetic(),
            new MaskingOptions { Seed = 5, MlmProbability = 0.3, MaskReplaceProbability = 0.5, RandomReplaceProbability = 0.5 });
        long real = 0, chosen = 0, masked = 0;
        foreach (var (examples, batch) in Batches(collator, Rows(2_000, 2)))
            for (int r = 0; r < batch.Rows; r++)
                for (int i = 1; i < examples[r].Length - 1; i++)
                {
                    real++;
                    if (batch.Labels[r * batch.Length + i] == MaskedLMModel.IgnoreIndex) continue;
                    chosen++;
                    if (batch.InputIds[r * batch.Length + i] == Mask) masked++;
                }
        WithinFiveSigma("chosen", chosen, real, 0.3, _out);
        WithinFiveSigma("mask token", masked, chosen, 0.5 + 0.5 / V, _out);
    }

    [Fact]
    public void Special_tokens_and_padding_are_never_chosen_or_changed()
    {
        var collator = new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { Seed = 3, MlmProbability = 0.9 });
        var rows = Rows(500, 4);
        // A literal mask token and an [UNK] inside the text are special too.
        rows[0][5] = Mask;
        rows[1][7] = 1;
        foreach (var (examples, batch) in Batches(collator, rows))
            for (int r = 0; r < batch.Rows; r++)
                for (int i = 0; i < batch.Length; i++)
                {
                    int k = r * batch.Length + i;
                    if (i >= examples[r].Length)
                    {
                        Assert.Equal(0, batch.AttentionMask[k]);
                        Assert.Equal(Pad, batch.InputIds[k]);
                        Assert.Equal(MaskedLMModel.IgnoreIndex, batch.Labels[k]);
                        continue;
                    }
                    Assert.Equal(1, batch.AttentionMask[k]);
                    if (examples[r][i] < 5)
                    {
                        Assert.Equal(examples[r][i], batch.InputIds[k]);
                        Assert.Equal(MaskedLMModel.IgnoreIndex, batch.Labels[k]);
                    }
                }
    }

    [Fact]
    public void Equal_seeds_give_equal_batches_and_other_seeds_other_ones()
    {
        var rows = Rows(200, 6);
        MaskedBatch[] Run(ulong seed, bool wholeWords = false)
        {
            var collator = new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { Seed = seed, WholeWordMask = wholeWords });
            return Batches(collator, rows).Select(b => b.Batch).ToArray();
        }
        var a = Run(42);
        var b = Run(42);
        var c = Run(43);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].InputIds, b[i].InputIds);
            Assert.Equal(a[i].Labels, b[i].Labels);
        }
        Assert.NotEqual(a[0].Labels, c[0].Labels);
        Assert.Equal(Run(7, wholeWords: true)[0].Labels, Run(7, wholeWords: true)[0].Labels);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Mlm_probability_must_lie_strictly_between_0_and_1(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { MlmProbability = p }));
        Assert.Contains("mlm_probability", e.Message);
    }

    [Fact]
    public void Replacement_shares_above_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { MaskReplaceProbability = 0.9, RandomReplaceProbability = 0.2 }));
        Assert.Throws<ArgumentException>(() => new DataCollatorForLanguageModeling(Synthetic()).Collate([[2, 1000, 3]]));
    }

    private static readonly string[] Texts =
    [
        "The unbelievable quarterback's performance was extraordinary.",
        "Tokenization splits uncommonly long words into several pieces.",
        "Hello, world! Café déjà vu and the Ångström unit.",
        "I can't believe it's 2024 already; time flies.",
        "Masked language modeling predicts hidden words from context.",
    ];

    [Fact]
    public void Whole_words_are_chosen_together_with_wordpiece()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-bert-mlm"));
        var vocabulary = MaskingVocabulary.FromTokenizer(tokenizer);
        Assert.Equal(WordBoundary.WordPiece, vocabulary.Boundary);
        var examples = MlmExamples.LineByLine(tokenizer, Texts, 64);

        // Every "##" piece shares the word id of the piece before it; every other real token opens a new word.
        var collator = new DataCollatorForLanguageModeling(vocabulary, new MaskingOptions { Seed = 1, WholeWordMask = true });
        foreach (var example in examples)
        {
            var words = collator.WordIds(example);
            for (int i = 0; i < example.Length; i++)
            {
                var token = tokenizer.IdToToken(example[i])!;
                if (tokenizer.AllSpecialIds.Contains(example[i])) Assert.Equal(-1, words[i]);
                else if (token.StartsWith("##", StringComparison.Ordinal)) Assert.Equal(words[i - 1], words[i]);
                else Assert.True(i == 0 || words[i] > words[..i].Max(), token);
            }
        }
        Assert.Contains(examples, e => collator.WordIds(e).GroupBy(w => w).Any(g => g.Key >= 0 && g.Count() >= 3));
        AssertWholeWords(collator, examples, 20_000);
    }

    [Fact]
    public void Whole_words_are_chosen_together_with_byte_level_bpe()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-roberta-mlm"));
        var vocabulary = MaskingVocabulary.FromTokenizer(tokenizer);
        Assert.Equal(WordBoundary.ByteLevel, vocabulary.Boundary);
        var examples = MlmExamples.LineByLine(tokenizer, Texts, 64);
        var collator = new DataCollatorForLanguageModeling(vocabulary, new MaskingOptions { Seed = 2, WholeWordMask = true });
        foreach (var example in examples)
        {
            var words = collator.WordIds(example);
            for (int i = 0; i < example.Length; i++)
            {
                var token = tokenizer.IdToToken(example[i])!;
                if (tokenizer.AllSpecialIds.Contains(example[i])) Assert.Equal(-1, words[i]);
                else if (token.StartsWith('\u0120') || words[i - 1] == -1) Assert.True(words[i] > words[..i].Max(), token);
                else Assert.Equal(words[i - 1], words[i]);
            }
        }
        // The first text's first word "The" and the pieces of "Ġunbelievable" group as expected.
        var first = examples[0];
        var firstWords = collator.WordIds(first);
        _out.WriteLine(string.Join(" ", first.Select((id, i) => $"{tokenizer.IdToToken(id)}/{firstWords[i]}")));
        AssertWholeWords(collator, examples, 20_000);
    }

    // Over many passes: every word is labelled entirely or not at all, and words are chosen at the MLM rate.
    private void AssertWholeWords(DataCollatorForLanguageModeling collator, List<int[]> examples, int passes)
    {
        long words = 0, chosenWords = 0;
        var wordIds = examples.Select(collator.WordIds).ToArray();
        for (int pass = 0; pass < passes; pass++)
        {
            var batch = collator.Collate(examples);
            for (int r = 0; r < batch.Rows; r++)
                foreach (var group in wordIds[r].Select((w, i) => (w, i)).Where(x => x.w >= 0).GroupBy(x => x.w))
                {
                    var labelled = group.Select(x => batch.Labels[r * batch.Length + x.i] != MaskedLMModel.IgnoreIndex).Distinct().ToList();
                    Assert.Single(labelled);
                    words++;
                    if (labelled[0]) chosenWords++;
                }
        }
        WithinFiveSigma("whole words chosen", chosenWords, words, 0.15, _out);
    }

    [Fact]
    public void Rows_are_padded_to_a_multiple_when_asked()
    {
        var collator = new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { PadToMultipleOf = 8 });
        var batch = collator.Collate([[2, 10, 11, 3], [2, 12, 13, 14, 15, 16, 17, 18, 19, 3]]);
        Assert.Equal(16, batch.Length);
        Assert.Equal(Enumerable.Repeat(0L, 12), batch.AttentionMask.Skip(4).Take(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataCollatorForLanguageModeling(Synthetic(), new MaskingOptions { PadToMultipleOf = 0 }));
    }

    [Fact]
    public void Grouping_concatenates_and_cuts_blocks_dropping_the_remainder()
    {
        int[][] texts = [[2, 10, 11, 3], [2, 12, 3], [2, 13, 14, 15, 16, 3], [2, 17, 3]];
        var blocks = MlmExamples.Group(texts, 5);
        var stream = texts.SelectMany(t => t).ToArray();   // 16 tokens → 3 blocks, 1 dropped
        Assert.Equal(3, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(5, b.Length));
        Assert.Equal(stream[..15], blocks.SelectMany(b => b).ToArray());
        Assert.Empty(MlmExamples.Group(texts, 17));
    }

    [Fact]
    public void Line_by_line_skips_blank_lines_and_truncates_with_special_tokens()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-bert-mlm"));
        var examples = MlmExamples.LineByLine(tokenizer, ["", "   ", .. Texts], 8);
        Assert.Equal(Texts.Length, examples.Count);
        Assert.All(examples, e =>
        {
            Assert.True(e.Length <= 8);
            Assert.Equal(tokenizer.ClsTokenId, e[0]);
            Assert.Equal(tokenizer.SepTokenId, e[^1]);
        });
        var grouped = MlmExamples.Grouped(tokenizer, Texts, 16);
        Assert.All(grouped, b => Assert.Equal(16, b.Length));
        Assert.Equal(Texts.Sum(t => tokenizer.Encode(t).InputIds.Length) / 16, grouped.Count);
    }

    [Fact]
    public void A_collated_batch_trains_the_masked_lm()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        var dir = TestPaths.Fixture("tiny-bert-mlm");
        var tokenizer = AutoTokenizer.FromPretrained(dir);
        var collator = new DataCollatorForLanguageModeling(MaskingVocabulary.FromTokenizer(tokenizer), new MaskingOptions { Seed = 9, MlmProbability = 0.3 });
        var batch = collator.Collate(MlmExamples.LineByLine(tokenizer, Texts, 32));
        var (ids, mask, labels) = batch.ToTensors();
        using (ids)
        using (mask)
        using (labels)
        using (var model = AutoModelForMaskedLM.FromPretrained(dir))
        using (var output = model.Forward(ids, mask, labels: labels))
        {
            Assert.Equal(new long[] { batch.Rows, batch.Length, model.VocabSize }, output.Logits.shape);
            var loss = output.Loss!.item<float>();
            Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        }
    }
}
