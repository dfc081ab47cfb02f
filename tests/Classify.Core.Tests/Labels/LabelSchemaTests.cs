using Classify.Core.Labels;

namespace Classify.Core.Tests.Labels;

public sealed class LabelSchemaTests
{
    [Fact]
    public void A_few_labels_are_all_named()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, ["negative", "neutral", "positive"]);
        Assert.Equal("multiclass [negative, neutral, positive]", schema.ToString());
    }

    [Fact]
    public void Thousands_of_labels_print_the_first_twenty_and_the_count()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, Enumerable.Range(0, 5000).Select(i => $"label{i}").ToArray());
        var text = schema.ToString();
        Assert.StartsWith("multiclass [label0, label1, ", text);
        Assert.Contains("label19, … 4,980 more; 5,000 labels]", text);
        Assert.DoesNotContain("label20,", text);
        Assert.True(text.Length < 400, text);
    }
}
