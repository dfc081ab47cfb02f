using System.Text.Json.Nodes;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>Every entry of tokenizers-real.json: 42 texts and 7 pairs on bert-base-uncased, roberta-base and ModernBERT-base.</summary>
public class RealTokenizerParityTests
{
    public static TheoryData<string, int, string> Singles()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var tokenizer in new[] { "bert-base-uncased", "roberta-base", "ModernBERT-base" })
        {
            var inputs = Goldens.Real["inputs"]!.AsArray();
            for (var i = 0; i < inputs.Count; i++) data.Add(tokenizer, i, inputs[i]!["name"]!.GetValue<string>());
        }
        return data;
    }

    public static TheoryData<string, int, string> Pairs()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var tokenizer in new[] { "bert-base-uncased", "roberta-base", "ModernBERT-base" })
        {
            var pairs = Goldens.Real["pairs"]!.AsArray();
            for (var i = 0; i < pairs.Count; i++) data.Add(tokenizer, i, pairs[i]!["name"]!.GetValue<string>());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Singles))]
    public void Single_text_matches_golden(string tokenizerName, int index, string name)
    {
        var input = Goldens.Real["inputs"]![index]!;
        var golden = Goldens.Real[tokenizerName]!["single"]![index]!;
        var tokenizer = Goldens.RealTokenizer(tokenizerName);

        var encoding = tokenizer.Encode(input["text"]!.GetValue<string>());

        AssertMatches(tokenizer, golden, encoding, name);
        if (golden["decoded_clean_up_tokenization_spaces"] is { } cleaned)
            Assert.Equal(cleaned.GetValue<string>(), tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Pair_matches_golden(string tokenizerName, int index, string name)
    {
        var input = Goldens.Real["pairs"]![index]!;
        var golden = Goldens.Real[tokenizerName]!["pairs"]![index]!;
        var tokenizer = Goldens.RealTokenizer(tokenizerName);

        var encoding = tokenizer.Encode(input["text"]!.GetValue<string>(), input["text_pair"]!.GetValue<string>());

        AssertMatches(tokenizer, golden, encoding, name);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Bert_pair_truncated_longest_first_matches_both_rules(string tokenizerName, int index, string name)
    {
        if (tokenizerName != "bert-base-uncased") return;
        var input = Goldens.Real["pairs"]![index]!;
        var golden = Goldens.Real[tokenizerName]!["pairs"]![index]!["truncated_max_length_16"]!;
        var tokenizer = Goldens.RealTokenizer(tokenizerName);
        string a = input["text"]!.GetValue<string>(), b = input["text_pair"]!.GetValue<string>();

        var slow = tokenizer.Encode(a, b, new EncodeOptions { MaxLength = 16, Truncation = TruncationStrategy.LongestFirst });
        Assert.Equal(Goldens.Ints(golden["input_ids"]), slow.InputIds);
        Assert.Equal(Goldens.Ints(golden["token_type_ids"]), slow.TokenTypeIds);
        Assert.Equal(Goldens.Strings(golden["tokens"]), slow.Tokens);
        Assert.Equal(Goldens.Ints(golden["kept_a_b"]), KeptPerSegment(slow));
        var untruncated = Goldens.Ints(golden["untruncated_a_b"]);
        Assert.Equal(untruncated.Sum() - KeptPerSegment(slow).Sum(), slow.NumTruncatedTokens);

        var rust = tokenizer.Encode(a, b, new EncodeOptions { MaxLength = 16, LongestFirstRule = LongestFirstRule.RustTokenizers });
        Assert.Equal(Goldens.Ints(golden["kept_a_b_rust_tokenizers"]), KeptPerSegment(rust));
        Assert.True(rust.Length <= 16, name);
    }

    private static int[] KeptPerSegment(Encoding e) => [e.SequenceIds.Count(s => s == 0), e.SequenceIds.Count(s => s == 1)];

    private static void AssertMatches(PreTrainedTokenizer tokenizer, JsonNode golden, Encoding encoding, string name)
    {
        Assert.Equal(Goldens.Strings(golden["tokens"]), encoding.Tokens);
        Assert.Equal(Goldens.Ints(golden["input_ids"]), encoding.InputIds);
        if (golden["token_type_ids"] is { } types) Assert.Equal(Goldens.Ints(types), encoding.TokenTypeIds);
        if (golden["attention_mask"] is { } mask) Assert.Equal(Goldens.Ints(mask), encoding.AttentionMask);
        if (golden["decoded"] is { } decoded)
            Assert.Equal(decoded.GetValue<string>(), tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true, cleanUpTokenizationSpaces: false));
        Assert.True(encoding.Length > 0, name);
    }
}
