using Classify.Core.Prediction;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Inference;

public class ContextEncoderTests
{
    [Fact]
    public void Context_truncation_keeps_the_utterance_and_drops_the_oldest_turns()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-bert"));
        var context = new ContextOptions { Turns = 3, Separator = " | " };
        var encoder = new ContextEncoder(tokenizer, maxLength: 16, context);
        string[] turns = ["i love this day", "it was very good", "we love you"];
        // Utterance 3 tokens + [CLS] [SEP] [SEP] = 6; budget 10: "we love you" (3) and "it was very good | we love you" (8) fit, all three (13) do not.
        var segment = encoder.ContextSegment("this is great", turns);
        Assert.Equal("it was very good | we love you", segment);
        var encoding = encoder.Encode("this is great", turns);
        Assert.Equal(["[CLS]", "this", "is", "great", "[SEP]"], encoding.Tokens.Take(5));
        Assert.Equal("[SEP]", encoding.Tokens[^1]);
        Assert.Equal(0, encoding.NumTruncatedTokens);

        // A tight budget keeps only the newest turn.
        Assert.Equal("we love you", new ContextEncoder(tokenizer, 10, context).ContextSegment("this is great", turns));
        // An utterance that fills the budget alone is truncated and the context dropped.
        var longText = string.Join(' ', Enumerable.Repeat("good", 30));
        var cut = encoder.Encode(longText, turns);
        Assert.Equal(16, cut.Length);
        Assert.DoesNotContain(1, cut.SequenceIds);
        // Without context settings the turns are ignored.
        Assert.Null(new ContextEncoder(tokenizer, 16, null).ContextSegment("this is great", turns));
    }
}
