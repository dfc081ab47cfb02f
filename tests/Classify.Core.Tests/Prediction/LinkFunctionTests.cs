using Classify.Core.Labels;
using Classify.Core.Prediction;

namespace Classify.Core.Tests.Prediction;

public sealed class LinkFunctionTests
{
    [Fact]
    public void Softmax_is_max_shifted_and_sums_to_one_even_for_huge_scores()
    {
        var p = LinkFunction.Apply([1000.0, 1001.0, 999.0], ScoreLink.Softmax);
        Assert.Equal(1.0, p.Sum(), 12);
        Assert.Equal(Math.Exp(1) / (1 + Math.Exp(1) + Math.Exp(-1)), p[1], 12);
    }

    [Fact]
    public void Logistic_turns_one_decision_value_into_two_probabilities()
    {
        var p = LinkFunction.Apply([0.8], ScoreLink.Logistic);
        Assert.Equal(2, p.Length);
        Assert.Equal(1 / (1 + Math.Exp(-0.8)), p[1], 15);
        Assert.Equal(1 - p[1], p[0], 15);
        Assert.Throws<ArgumentException>(() => LinkFunction.Apply([0.1, 0.2], ScoreLink.Logistic));
    }

    [Fact]
    public void One_vs_rest_normalises_the_sigmoids_and_sigmoid_does_not()
    {
        double[] scores = [2.0, -1.0, 0.0];
        var sig = LinkFunction.Apply(scores, ScoreLink.Sigmoid);
        var ovr = LinkFunction.Apply(scores, ScoreLink.OneVsRest);
        Assert.Equal(1 / (1 + Math.Exp(1.0)), sig[1], 15);
        Assert.NotEqual(1.0, sig.Sum(), 6);
        Assert.Equal(1.0, ovr.Sum(), 12);
        for (int k = 0; k < 3; k++) Assert.Equal(sig[k] / sig.Sum(), ovr[k], 15);
    }

    [Fact]
    public void Temperature_divides_the_scores_before_every_link()
    {
        double[] scores = [3.0, -2.0];
        foreach (var link in new[] { ScoreLink.Softmax, ScoreLink.Sigmoid, ScoreLink.OneVsRest })
            Assert.Equal(LinkFunction.Apply([1.5, -1.0], link), LinkFunction.Apply(scores, link, temperature: 2.0));
        Assert.Equal(LinkFunction.Apply([0.5], ScoreLink.Logistic), LinkFunction.Apply([1.0], ScoreLink.Logistic, 2.0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_temperature_that_is_not_positive_and_finite_is_refused(double temperature) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkFunction.Apply([1.0, 2.0], ScoreLink.Softmax, temperature));

    [Fact]
    public void Sigmoid_is_exact_in_both_tails()
    {
        Assert.Equal(0.0, LinkFunction.Sigmoid(-1000));
        Assert.Equal(1.0, LinkFunction.Sigmoid(1000));
        Assert.True(LinkFunction.Sigmoid(-40) > 0);
    }

    [Fact]
    public void A_task_picks_the_link_of_a_head_with_one_score_per_label()
    {
        Assert.Equal(ScoreLink.Sigmoid, LinkFunction.ForTask(TaskKind.Multilabel));
        Assert.Equal(ScoreLink.Softmax, LinkFunction.ForTask(TaskKind.Binary));
        Assert.Equal(1, LinkFunction.ScoreCount(ScoreLink.Logistic, 2));
        Assert.Equal(5, LinkFunction.ScoreCount(ScoreLink.Softmax, 5));
    }
}
