using Classify.Core.Calibration;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;

namespace Classify.Core.Tests.Calibration;

public sealed class TemperatureScalingTests
{
    private static readonly LabelSchema FourClasses = new(TaskKind.Multiclass, ["a", "b", "c", "d"]);
    private static readonly LabelSchema ThreeLabels = new(TaskKind.Multilabel, ["x", "y", "z"]);
    private static readonly LabelSchema Binary = new(TaskKind.Binary, ["neg", "pos"]);

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>
    /// Scores z ~ N(0, 2²) per label and gold labels drawn from link(z / <paramref name="trueTemperature"/>): a model whose
    /// probabilities are right once its scores are divided by the true temperature.
    /// </summary>
    private static (double[][] Scores, int[][] Gold) Sample(LabelSchema schema, ScoreLink link, double trueTemperature, int n, int seed)
    {
        var random = new Random(seed);
        int width = LinkFunction.ScoreCount(link, schema.Count);
        var scores = new double[n][];
        var gold = new int[n][];
        for (int i = 0; i < n; i++)
        {
            scores[i] = Enumerable.Range(0, width).Select(_ => 2 * Normal(random)).ToArray();
            var p = LinkFunction.Apply(scores[i], link, trueTemperature);
            if (schema.IsMultilabel)
            {
                gold[i] = Enumerable.Range(0, p.Length).Where(k => random.NextDouble() < p[k]).ToArray();
                continue;
            }
            double u = random.NextDouble(), cumulative = 0;
            int label = p.Length - 1;
            for (int k = 0; k < p.Length; k++)
                if (u < (cumulative += p[k])) { label = k; break; }
            gold[i] = [label];
        }
        return (scores, gold);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(0.5)]
    public void Softmax_scores_recover_the_temperature_their_labels_were_drawn_with(double trueTemperature)
    {
        var (scores, gold) = Sample(FourClasses, ScoreLink.Softmax, trueTemperature, 20_000, seed: 7);
        var fit = TemperatureScaling.Fit(FourClasses, gold, scores, ScoreLink.Softmax);
        // 20,000 draws: the maximum-likelihood estimate is within a few per cent of the truth.
        Assert.InRange(fit.Temperature, trueTemperature * 0.95, trueTemperature * 1.05);
        Assert.False(fit.AtBound);
        Assert.True(fit.NllAfter <= fit.NllBefore);
    }

    [Fact]
    public void A_shared_multilabel_temperature_is_recovered_through_the_sigmoid_link()
    {
        var (scores, gold) = Sample(ThreeLabels, ScoreLink.Sigmoid, 0.6, 20_000, seed: 11);
        var fit = TemperatureScaling.Fit(ThreeLabels, gold, scores, ScoreLink.Sigmoid);
        Assert.InRange(fit.Temperature, 0.57, 0.63);
    }

    [Fact]
    public void A_binary_decision_value_is_scaled_through_the_logistic_link()
    {
        var (scores, gold) = Sample(Binary, ScoreLink.Logistic, 1.8, 20_000, seed: 3);
        Assert.All(scores, s => Assert.Single(s));
        var fit = TemperatureScaling.Fit(Binary, gold, scores, ScoreLink.Logistic);
        Assert.InRange(fit.Temperature, 1.8 * 0.95, 1.8 * 1.05);
    }

    [Fact]
    public void The_fit_is_the_minimum_of_the_reported_nll_and_is_deterministic()
    {
        var (scores, gold) = Sample(FourClasses, ScoreLink.Softmax, 1.7, 3_000, seed: 5);
        var fit = TemperatureScaling.Fit(FourClasses, gold, scores, ScoreLink.Softmax);
        double Nll(double t) => MetricReport.ComputeLogLoss(FourClasses, gold, LinkFunction.Apply(scores, ScoreLink.Softmax, t));
        Assert.Equal(Nll(1), fit.NllBefore, 12);
        Assert.Equal(Nll(fit.Temperature), fit.NllAfter, 12);
        Assert.True(fit.NllAfter < fit.NllBefore);
        Assert.True(Nll(fit.Temperature * 1.01) >= fit.NllAfter && Nll(fit.Temperature / 1.01) >= fit.NllAfter);
        Assert.Equal(fit, TemperatureScaling.Fit(FourClasses, gold, scores, ScoreLink.Softmax));
    }

    [Theory]
    [InlineData(ScoreLink.Softmax)]
    [InlineData(ScoreLink.OneVsRest)]
    public void Temperature_scaling_leaves_the_most_probable_label_unchanged(ScoreLink link)
    {
        var (scores, gold) = Sample(FourClasses, link, 3.0, 2_000, seed: 9);
        var fit = TemperatureScaling.Fit(FourClasses, gold, scores, link);
        Assert.NotEqual(1.0, fit.Temperature);
        var before = LinkFunction.Apply(scores, link);
        var after = LinkFunction.Apply(scores, link, fit.Temperature);
        for (int i = 0; i < scores.Length; i++) Assert.Equal(DecisionRule.ArgMax(before[i]), DecisionRule.ArgMax(after[i]));
    }

    [Fact]
    public void Validation_data_the_model_separates_perfectly_drives_the_temperature_to_its_lower_bound()
    {
        double[][] scores = [[3, -3], [-2, 2], [4, 0], [0, 5]];
        var fit = TemperatureScaling.Fit(Binary, [[0], [1], [0], [1]], scores, ScoreLink.Softmax);
        Assert.True(fit.AtBound);
        Assert.InRange(fit.Temperature, TemperatureScaling.MinTemperature, TemperatureScaling.MinTemperature * 1.3);
    }

    [Fact]
    public void Degenerate_labels_are_refused_with_a_message_saying_why()
    {
        var none = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(FourClasses, [], [], ScoreLink.Softmax));
        Assert.Contains("none", none.Message);
        var oneClass = Assert.Throws<ArgumentException>(() =>
            TemperatureScaling.Fit(FourClasses, [[2], [2], [2]], [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]], ScoreLink.Softmax));
        Assert.Contains("all 3 examples have the label 'c'", oneClass.Message);
        Assert.Contains("at least two labels", TemperatureScaling.FindProblem(FourClasses, [[1], [1]]));
        Assert.Contains("none of the 2 examples has a label", TemperatureScaling.FindProblem(ThreeLabels, [[], []]));
        Assert.Contains("every label", TemperatureScaling.FindProblem(ThreeLabels, [[0, 1, 2]]));
        Assert.Null(TemperatureScaling.FindProblem(ThreeLabels, [[], [0]]));
        Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(FourClasses, [[0], [1]], [[0, 0, 0, 0]], ScoreLink.Softmax));
    }

    [Fact]
    public void Per_label_temperatures_recover_each_labels_own_temperature_and_fall_back_to_the_shared_one()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["x", "y", "z", "never"]);
        double[] truth = [0.5, 1.0, 2.0];
        var random = new Random(21);
        int n = 20_000;
        var scores = new double[n][];
        var gold = new int[n][];
        for (int i = 0; i < n; i++)
        {
            scores[i] = Enumerable.Range(0, 4).Select(_ => 2 * Normal(random)).ToArray();
            gold[i] = Enumerable.Range(0, 3).Where(k => random.NextDouble() < LinkFunction.Sigmoid(scores[i][k] / truth[k])).ToArray();
        }
        var fit = TemperatureScaling.FitPerLabel(schema, gold, scores, ScoreLink.Sigmoid);
        for (int k = 0; k < 3; k++) Assert.InRange(fit.Temperatures[k], truth[k] * 0.93, truth[k] * 1.07);
        // "never" has no positive example: it takes the shared temperature.
        Assert.Equal([3], fit.SharedLabels);
        Assert.Equal(fit.Shared.Temperature, fit.Temperatures[3]);
        Assert.True(fit.NllAfter < fit.Shared.NllAfter, $"per-label NLL {fit.NllAfter} vs shared {fit.Shared.NllAfter}");
        Assert.Equal(MetricReport.ComputeLogLoss(schema, gold, LinkFunction.Apply(scores, ScoreLink.Sigmoid, 1, fit.Temperatures)), fit.NllAfter, 12);
    }

    [Fact]
    public void Per_label_temperatures_are_refused_for_single_label_tasks()
    {
        var (scores, gold) = Sample(FourClasses, ScoreLink.Softmax, 1, 100, seed: 1);
        Assert.Throws<ArgumentException>(() => TemperatureScaling.FitPerLabel(FourClasses, gold, scores, ScoreLink.Softmax));
    }
}
