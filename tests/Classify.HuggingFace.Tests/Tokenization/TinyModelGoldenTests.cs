using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>The batch encodings stored in the tiny encoder fixtures (truncation longest_first, padding longest).</summary>
public class TinyModelGoldenTests
{
    [Theory]
    [InlineData("tiny-bert", 24, true)]
    [InlineData("tiny-bert-multilabel", 24, true)]
    [InlineData("tiny-distilbert", 24, false)]
    [InlineData("tiny-roberta", 32, false)]
    public void Batch_encoding_matches_golden(string model, int maxLength, bool hasTokenTypes)
    {
        var golden = Goldens.Read(TestPaths.Fixture(model, "golden.json"));
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture(model));
        var (texts, pairs) = Inputs(golden);

        var batch = tokenizer.EncodeBatch(texts, pairs,
            new EncodeOptions { MaxLength = maxLength, Truncation = TruncationStrategy.LongestFirst, Padding = PaddingStrategy.Longest });

        var ids = golden["encoding"]!["input_ids"]!.AsArray();
        Assert.Equal(ids.Count, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(Goldens.Ints(ids[i]), batch[i].InputIds);
            Assert.Equal(Goldens.Ints(golden["encoding"]!["attention_mask"]![i]), batch[i].AttentionMask);
            if (hasTokenTypes) Assert.Equal(Goldens.Ints(golden["encoding"]!["token_type_ids"]![i]), batch[i].TokenTypeIds);
            if (golden["tokens"] is { } tokens) Assert.Equal(Goldens.Strings(tokens[i]), batch[i].Tokens);
        }
        Assert.Equal(hasTokenTypes, tokenizer.ModelInputNames.Contains("token_type_ids"));
    }

    [Fact]
    public void Full_vocab_bert_base_uncased_matches_golden()
    {
        var golden = Goldens.Read(TestPaths.Fixture("tiny-bert", "golden.json"));
        var expected = golden["encoding_bert_base_uncased_full_vocab"]!;
        var tokenizer = Goldens.RealTokenizer("bert-base-uncased");
        var (texts, pairs) = Inputs(golden);

        var batch = tokenizer.EncodeBatch(texts, pairs,
            new EncodeOptions { MaxLength = 24, Truncation = TruncationStrategy.LongestFirst, Padding = PaddingStrategy.Longest });

        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(Goldens.Ints(expected["input_ids"]![i]), batch[i].InputIds);
            if (expected["token_type_ids"] is { } types) Assert.Equal(Goldens.Ints(types[i]), batch[i].TokenTypeIds);
            if (expected["attention_mask"] is { } mask) Assert.Equal(Goldens.Ints(mask[i]), batch[i].AttentionMask);
        }
        Assert.Equal(expected["input_ids"]!.AsArray().Select(r => r!.AsArray().Count), batch.Select(e => e.Length));
    }

    private static (string[] Texts, string?[] Pairs) Inputs(System.Text.Json.Nodes.JsonObject golden)
    {
        var inputs = golden["inputs"]!.AsArray();
        return (inputs.Select(x => x!["text"]!.GetValue<string>()).ToArray(),
                inputs.Select(x => x!["text_pair"]?.GetValue<string>()).ToArray());
    }
}

