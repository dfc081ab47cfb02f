using Classify.Transformers.Training;

namespace Classify.Transformers.Tests.Training;

/// <summary>The default <c>max_length</c>: the 99th percentile of the training token counts, up to a multiple of 8, within [16, min(512, positions)].</summary>
public sealed class MaxLengthRuleTests
{
    [Fact]
    public void The_99th_percentile_is_rounded_up_to_a_multiple_of_8()
    {
        // 100 inputs of 1 … 100 tokens: nearest-rank 99th percentile = 99 → 104
        Assert.Equal(104, MaxLengthRule.Choose(Enumerable.Range(1, 100).ToArray(), 512));
        // 1,000 tweets of 30 tokens and 5 outliers of 400: the outliers are the longest 0.5 %, so 32
        Assert.Equal(32, MaxLengthRule.Choose(Enumerable.Repeat(30, 1000).Concat(Enumerable.Repeat(400, 5)).ToArray(), 512));
        // a multiple of 8 stays as it is
        Assert.Equal(48, MaxLengthRule.Choose(Enumerable.Repeat(48, 10).ToArray(), 512));
    }

    [Fact]
    public void The_length_is_at_least_16_and_at_most_the_model_limit_and_512()
    {
        Assert.Equal(16, MaxLengthRule.Choose([3, 4, 5], 512));
        Assert.Equal(16, MaxLengthRule.Choose([], 512));
        Assert.Equal(64, MaxLengthRule.Choose(Enumerable.Repeat(300, 10).ToArray(), 64));     // the model's position limit
        Assert.Equal(512, MaxLengthRule.Choose(Enumerable.Repeat(3000, 10).ToArray(), 8192));  // the ceiling, even for ModernBERT
        Assert.Equal(8, MaxLengthRule.Choose([100], 8));                                       // a model shorter than the minimum
    }

    [Fact]
    public void At_most_5000_evenly_spaced_inputs_are_measured()
    {
        Assert.Equal(Enumerable.Range(0, 7), MaxLengthRule.SampleIndices(7));
        var sample = MaxLengthRule.SampleIndices(50_000).ToArray();
        Assert.Equal(MaxLengthRule.SampleSize, sample.Length);
        Assert.Equal(0, sample[0]);
        Assert.Equal(10, sample[1]);
        Assert.True(sample[^1] < 50_000);
        Assert.Equal(sample.Length, sample.Distinct().Count());
    }
}
