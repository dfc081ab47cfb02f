using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Inference;

public class ClassifierInputsTests
{
    private static ClassifierInputs Inputs(string fixture, int maxLength = 32)
    {
        var dir = TestPaths.Fixture(fixture);
        return new ClassifierInputs(AutoTokenizer.FromPretrained(dir), PretrainedConfig.Load(dir), maxLength, context: null);
    }

    [Fact]
    public void Padding_fills_to_the_longest_row_with_the_pad_id_and_zero_mask()
    {
        var inputs = Inputs("tiny-bert");
        var encodings = inputs.Encode(["a much longer sentence than the other", "hi"]);
        var batch = inputs.Pad(encodings, [1, 0]);
        Assert.Equal([1, 0], batch.Rows);
        Assert.Equal(encodings[0].Length, batch.SequenceLength);
        Assert.Equal([2L, encodings[0].Length], batch.Shape);
        int n = batch.SequenceLength, shortLength = encodings[1].Length;
        Assert.Equal(encodings[1].InputIds.Select(i => (long)i), batch.InputIds.Take(shortLength));
        Assert.All(batch.InputIds.Skip(shortLength).Take(n - shortLength), id => Assert.Equal(inputs.PadTokenId, id));
        Assert.All(batch.AttentionMask.Skip(shortLength).Take(n - shortLength), m => Assert.Equal(0L, m));
        Assert.Equal(encodings[0].InputIds.Select(i => (long)i), batch.InputIds.Skip(n));
        Assert.NotNull(batch.TokenTypeIds);                       // BERT has segment embeddings
        Assert.Null(Inputs("tiny-roberta").Pad(encodings).TokenTypeIds);   // RoBERTa's single row is never fed
    }

    [Fact]
    public void The_tokenizers_batch_encoding_pads_through_the_same_routine()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-bert"));
        string[] texts = ["a much longer sentence than the other", "hi"];
        var padded = tokenizer.EncodeBatch(texts, options: new EncodeOptions { Padding = PaddingStrategy.Longest });
        var dynamic = PaddedBatch.Create(texts.Select(t => tokenizer.Encode(t)).ToArray(), tokenizer.PadTokenId!.Value);
        Assert.Equal(dynamic.InputIds, padded.InputIdsFlat());
        Assert.Equal(dynamic.AttentionMask, padded.AttentionMaskFlat());
        Assert.Equal(dynamic.TokenTypeIds, padded.TokenTypeIdsFlat());
        Assert.Empty(tokenizer.EncodeBatch([]).InputIdsFlat());
    }

    [Fact]
    public void Scoring_sorts_by_length_batches_by_padded_length_and_returns_rows_in_input_order()
    {
        var inputs = Inputs("tiny-roberta");
        TextInput[] texts = ["a much longer sentence that has quite a few more tokens than the others do", "hi", "short one", "medium length text here", "x"];
        var seen = new List<(IReadOnlyList<int> Rows, int Length)>();
        // A fake forward pass: one score per row, its number of real tokens.
        var scores = inputs.Score(texts, batchSize: 2, batch =>
        {
            seen.Add((batch.Rows, batch.SequenceLength));
            return Enumerable.Range(0, batch.Count)
                .Select(r => new double[] { batch.AttentionMask.Skip(r * batch.SequenceLength).Take(batch.SequenceLength).Sum() }).ToArray();
        });
        var encodings = inputs.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(encodings[i].Length, scores[i][0]);
        var lengths = seen.SelectMany(b => b.Rows).Select(i => encodings[i].Length).ToArray();
        Assert.Equal(lengths.Order(), lengths);                                   // shortest first
        // Each row padded to its own length rounded up to 4 (never beyond max_length), and a batch never mixes padded
        // lengths: batches of 2 within each padded length, so more batches than ⌈5 / 2⌉ when lengths differ.
        Assert.All(seen, b => Assert.All(b.Rows, i => Assert.Equal(inputs.PaddedLength(encodings[i].Length), b.Length)));
        var expected = encodings.Select(e => inputs.PaddedLength(e.Length)).Order().GroupBy(l => l)
            .SelectMany(g => g.Chunk(2).Select(c => (c.Length, g.Key))).ToArray();
        Assert.Equal(expected, seen.Select(b => (b.Rows.Count, b.Length)));
        Assert.True(seen.Count > 3, $"{seen.Count} batches");
        Assert.Equal(4, inputs.PaddedLength(1));
        Assert.Equal(12, inputs.PaddedLength(9));
        Assert.Equal(32, inputs.PaddedLength(32));
        Assert.Equal(32, inputs.PaddedLength(30));
        Assert.Empty(inputs.Score(Array.Empty<TextInput>(), 2, _ => throw new InvalidOperationException("no batch for no input")));
        Assert.Throws<InvalidOperationException>(() => inputs.Score(texts, 2, _ => []));
    }

    [Fact]
    public void Pad_id_is_the_tokenizers()
    {
        var inputs = Inputs("tiny-roberta");
        Assert.Equal(inputs.Tokenizer.PadTokenId, inputs.PadTokenId);
        Assert.Equal(32, inputs.MaxLength);
    }
}
