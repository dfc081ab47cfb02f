using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Tests.Data;

public sealed class ContextBuilderTests
{
    private static readonly ConversationTurn[] Turns =
    [
        new("b", "0", "b-zero", "client"),
        new("a", "10", "a-ten", "therapist"),
        new("a", "2", "a-two", "client"),
        new("a", "1", "a-one", "therapist"),
        new("a", "2", "a-two again", "client"), // same utterance, second annotator
    ];

    [Fact]
    public void Build_orders_numerically_within_groups_and_takes_the_last_k_turns_oldest_first()
    {
        var contexts = new ContextBuilder(turns: 2).Build(Turns);
        Assert.Empty(contexts[0]);
        Assert.Equal(["therapist: a-one", "client: a-two"], contexts[1]);  // 10 after 2 (numeric, not ordinal)
        Assert.Equal(["therapist: a-one"], contexts[2]);
        Assert.Empty(contexts[3]);
        Assert.Equal(["therapist: a-one"], contexts[4]);                   // a repeat of order 2 is not its own context
    }

    [Fact]
    public void Build_without_speaker_tags_uses_the_bare_text()
    {
        var contexts = new ContextBuilder(turns: 1, speakerTags: false).Build(Turns);
        Assert.Equal(["a-two"], contexts[1]);
    }

    [Fact]
    public void Next_streams_ordered_turns_and_rejects_out_of_order_ones()
    {
        var builder = new ContextBuilder(turns: 2);
        Assert.Empty(builder.Next(new("a", "0", "hi", "t")));
        Assert.Empty(builder.Next(new("b", "0", "other conversation", "t")));
        Assert.Equal(["t: hi"], builder.Next(new("a", "1", "hello", "c")));
        Assert.Equal(["t: hi"], builder.Next(new("a", "1", "hello (annotator 2)", "c")));
        Assert.Equal(["t: hi", "c: hello"], builder.Next(new("a", "2", "how are you", "t")));
        Assert.Equal(["c: hello", "t: how are you"], builder.Next(new("a", "3", "fine", "c")));
        Assert.Throws<InvalidOperationException>(() => builder.Next(new("a", "1", "late", "c")));
    }

    [Fact]
    public void Streaming_out_of_order_rows_is_an_input_error_naming_the_line()
    {
        using var dir = new TempFolder();
        var path = dir.Write("conv.csv", "g,o,text\nx,1,a\nx,0,b\n");
        var options = new DatasetOptions { GroupColumn = "g", OrderColumn = "o", ContextTurns = 1 };
        var e = Assert.Throws<InputException>(() => DatasetLoader.ReadUnlabelled(path, options).ToList());
        Assert.Equal(3, e.Line);
        Assert.Equal("o", e.Field);
    }
}
