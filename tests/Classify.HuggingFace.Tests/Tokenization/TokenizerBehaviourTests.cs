using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>Padding, truncation, offsets, decoding and saving, on the real tokenizers.</summary>
public class TokenizerBehaviourTests
{
    private static PreTrainedTokenizer Bert => Goldens.RealTokenizer("bert-base-uncased");
    private static PreTrainedTokenizer Roberta => Goldens.RealTokenizer("roberta-base");
    private static PreTrainedTokenizer ModernBert => Goldens.RealTokenizer("ModernBERT-base");

    [Fact]
    public void AutoTokenizer_picks_the_class_from_the_files()
    {
        Assert.IsType<BertTokenizer>(Bert);
        Assert.IsType<RobertaTokenizer>(Roberta);
        Assert.IsType<PreTrainedTokenizerFast>(ModernBert);
        Assert.Equal(LongestFirstRule.Transformers, Bert.DefaultLongestFirstRule);
        Assert.Equal(LongestFirstRule.RustTokenizers, ModernBert.DefaultLongestFirstRule);
    }

    [Fact]
    public void Special_token_ids_and_sizes_match_the_model_files()
    {
        Assert.Equal((101, 102, 0, 103, 100), (Bert.ClsTokenId, Bert.SepTokenId, Bert.PadTokenId, Bert.MaskTokenId, Bert.UnkTokenId));
        Assert.Equal(30522, Bert.VocabSize);
        Assert.Equal(512, Bert.ModelMaxLength);
        Assert.Equal((0, 2, 1, 50264, 3), (Roberta.ClsTokenId, Roberta.SepTokenId, Roberta.PadTokenId, Roberta.MaskTokenId, Roberta.UnkTokenId));
        Assert.Equal(50265, Roberta.VocabSize);
        Assert.Equal((50281, 50282, 50283, 50284, 50280), (ModernBert.ClsTokenId, ModernBert.SepTokenId, ModernBert.PadTokenId, ModernBert.MaskTokenId, ModernBert.UnkTokenId));
        Assert.Equal(50280, ModernBert.VocabSize);
        Assert.Equal(50368, ModernBert.Count);
        Assert.Equal(8192, ModernBert.ModelMaxLength);
    }

    [Fact]
    public void Offsets_point_into_the_original_text()
    {
        const string text = "Héllo, WORLD!! ünïcödé";
        foreach (var tokenizer in new[] { Bert, Roberta, ModernBert })
        {
            var e = tokenizer.Encode(text, options: new EncodeOptions { ReturnOffsets = true });
            Assert.NotNull(e.Offsets);
            Assert.Equal((0, 0), e.Offsets![0]);
            Assert.Equal((0, 0), e.Offsets[^1]);
            // Every token lies inside the text, and together they cover every non-space character exactly once or more.
            var covered = new HashSet<int>();
            for (var i = 0; i < e.Length; i++)
            {
                if (e.SpecialTokensMask[i] == 1) continue;
                var (start, end) = e.Offsets[i];
                Assert.InRange(start, 0, end - 1);
                Assert.InRange(end, 1, text.Length);
                for (var k = start; k < end; k++) covered.Add(k);
            }
            Assert.Equal(Enumerable.Range(0, text.Length).Where(k => text[k] != ' '), covered.Where(k => text[k] != ' ').Order());
        }
        var bert = Bert.Encode("Héllo world", options: new EncodeOptions { ReturnOffsets = true });
        Assert.Equal(new[] { (0, 0), (0, 5), (6, 11), (0, 0) }, bert.Offsets);
    }

    [Fact]
    public void Nfd_text_gets_offsets_of_its_decomposed_characters()
    {
        const string text = "Cafe\u0301 ok";
        var e = ModernBert.Encode(text, options: new EncodeOptions { ReturnOffsets = true, AddSpecialTokens = false });
        Assert.Equal(ModernBert.Encode("Café ok", options: new EncodeOptions { AddSpecialTokens = false }).InputIds, e.InputIds);
        Assert.Equal(text.Length, e.Offsets![^1].End);
        Assert.Equal(0, e.Offsets[0].Start);
    }

    [Fact]
    public void Padding_max_length_and_multiple_of_pad_on_the_right()
    {
        var e = Bert.Encode("hello world", options: new EncodeOptions { Padding = PaddingStrategy.MaxLength, MaxLength = 10 });
        Assert.Equal(new[] { 101, 7592, 2088, 102, 0, 0, 0, 0, 0, 0 }, e.InputIds);
        Assert.Equal(new[] { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, e.AttentionMask);
        Assert.Equal(new[] { 1, 0, 0, 1, 1, 1, 1, 1, 1, 1 }, e.SpecialTokensMask);
        Assert.Equal("[PAD]", e.Tokens[^1]);

        var batch = Roberta.EncodeBatch(["a", "a b c d e"], null, new EncodeOptions { Padding = PaddingStrategy.Longest, PadToMultipleOf = 8 });
        Assert.Equal(8, batch.SequenceLength);
        Assert.Equal(1, batch[0].InputIds[^1]);
        Assert.Equal(16, batch.InputIdsFlat().Length);
    }

    [Fact]
    public void Truncation_only_second_and_single_text()
    {
        var pair = Bert.Encode("one two three", "four five six seven eight", new EncodeOptions { MaxLength = 8, Truncation = TruncationStrategy.OnlySecond });
        Assert.Equal(new[] { "[CLS]", "one", "two", "three", "[SEP]", "four", "five", "[SEP]" }, pair.Tokens);
        var single = ModernBert.Encode("one two three four", options: new EncodeOptions { MaxLength = 4 });
        Assert.Equal(new[] { "[CLS]", "one", "Ġtwo", "[SEP]" }, single.Tokens);
        Assert.Equal(2, single.NumTruncatedTokens);
    }

    [Fact]
    public void Decode_roundtrips_and_cleans_up_spaces()
    {
        var ids = Bert.Encode("Hello, world! It isn't here.").InputIds;
        Assert.Equal("[CLS] hello, world! it isn't here. [SEP]", Bert.Decode(ids, cleanUpTokenizationSpaces: true));
        Assert.Equal("hello , world ! it isn ' t here .", Bert.Decode(ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: false));
        Assert.Equal("<s>Héllo 🤖</s>", Roberta.Decode(Roberta.Encode("Héllo 🤖").InputIds));
    }

    [Fact]
    public void Saved_files_load_back_to_the_same_tokenizer()
    {
        foreach (var name in new[] { "bert-base-uncased", "roberta-base", "ModernBERT-base" })
        {
            var dir = Path.Combine(Path.GetTempPath(), "classify-tok-" + Guid.NewGuid().ToString("N"));
            try
            {
                Goldens.RealTokenizer(name).SaveTokenizerFiles(dir);
                Assert.True(File.Exists(Path.Combine(dir, "tokenizer_config.json")));
                var loaded = AutoTokenizer.FromPretrained(dir);
                Assert.Equal(Goldens.RealTokenizer(name).GetType(), loaded.GetType());
                const string text = "The capital of France is  <mask> [MASK]. Café 🤖";
                Assert.Equal(Goldens.RealTokenizer(name).Encode(text).InputIds, loaded.Encode(text).InputIds);
                Assert.Equal(Goldens.RealTokenizer(name).MaskToken, loaded.MaskToken);
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void Missing_files_raise_an_input_error()
    {
        var dir = Path.Combine(Path.GetTempPath(), "classify-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<Classify.Core.IO.InputException>(() => AutoTokenizer.FromPretrained(dir));
            Assert.Contains(dir, e.Message);
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{ not json");
            Assert.Throws<Classify.Core.IO.InputException>(() => AutoTokenizer.FromPretrained(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
