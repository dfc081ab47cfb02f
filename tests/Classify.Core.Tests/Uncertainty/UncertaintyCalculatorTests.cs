using System.Text.Json;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.Core.Uncertainty;

namespace Classify.Core.Tests.Uncertainty;

public sealed class UncertaintyCalculatorTests
{
    private static readonly double Ln2 = Math.Log(2);

    /// <summary>Each task kind with a label count it can have.</summary>
    public static TheoryData<TaskKind, int> Tasks => new() { { TaskKind.Binary, 2 }, { TaskKind.Multiclass, 5 }, { TaskKind.Multilabel, 7 } };

    [Fact]
    public void Entropies_are_in_nats_and_treat_zero_log_zero_as_zero()
    {
        Assert.Equal(0.0, Entropy.Categorical([1.0, 0.0, 0.0]));
        Assert.Equal(Math.Log(4), Entropy.Categorical([0.25, 0.25, 0.25, 0.25]), 15);
        Assert.Equal(Ln2, Entropy.Bernoulli(0.5), 15);
        Assert.Equal(0.0, Entropy.Bernoulli(0.0));
        Assert.Equal(0.0, Entropy.Bernoulli(1.0));
        // h(0.1) = −0.1 ln 0.1 − 0.9 ln 0.9 = 0.2302585092994046 + 0.09482446409204365 = 0.3250829733914482
        Assert.Equal(0.3250829733914482, Entropy.Bernoulli(0.1), 15);
        Assert.Equal(Entropy.Categorical([0.7, 0.3]), Entropy.Bernoulli(0.3), 15);
    }

    [Fact]
    public void Binary_two_passes_match_the_hand_computed_split()
    {
        // Passes [0.5, 0.5] and [0.9, 0.1]; mean [0.7, 0.3].
        // predictive = −0.7 ln 0.7 − 0.3 ln 0.3 = 0.24967246075711272 + 0.36119184129778083 = 0.6108643020548935
        // aleatoric = (H[0.5, 0.5] + H[0.9, 0.1]) / 2 = (0.6931471805599453 + 0.3250829733914482) / 2 = 0.5091150769756967
        // epistemic = 0.6108643020548935 − 0.5091150769756967 = 0.10174922507919681
        // std (population) = √(((0.5 − 0.7)² + (0.9 − 0.7)²) / 2) = √0.04 = 0.2; the sample std would be √0.08 ≈ 0.283.
        var u = UncertaintyCalculator.ForExample([[0.5, 0.5], [0.9, 0.1]], TaskKind.Binary);
        Assert.Equal([0.7, 0.3], u.MeanProbabilities.Select(p => Math.Round(p, 15)));
        Assert.Equal(0.6108643020548935, u.PredictiveEntropy, 14);
        Assert.Equal(0.5091150769756967, u.Aleatoric, 14);
        Assert.Equal(0.10174922507919681, u.Epistemic, 14);
        Assert.Equal(0.2, u.StandardDeviations[0], 14);
        Assert.Equal(0.2, u.StandardDeviations[1], 14);
        Assert.Null(u.PerLabel);
        Assert.Equal(2, u.Passes);
    }

    [Fact]
    public void A_one_column_binary_row_is_the_positive_label_and_gives_the_two_column_result()
    {
        // [0.5] and [0.1] are P(second label): the rows [0.5, 0.5] and [0.9, 0.1] of the test above.
        var one = UncertaintyCalculator.ForExample([[0.5], [0.1]], TaskKind.Binary);
        var two = UncertaintyCalculator.ForExample([[0.5, 0.5], [0.9, 0.1]], TaskKind.Binary);
        Assert.Equal(2, one.MeanProbabilities.Count);
        Assert.Equal(0.3, one.MeanProbabilities[1], 15);
        Assert.Equal(two.PredictiveEntropy, one.PredictiveEntropy, 15);
        Assert.Equal(two.Aleatoric, one.Aleatoric, 15);
        Assert.Equal(two.Epistemic, one.Epistemic, 15);
        Assert.Equal(two.StandardDeviations, one.StandardDeviations);
    }

    [Fact]
    public void Multiclass_passes_that_disagree_completely_are_all_epistemic()
    {
        // Passes [1, 0, 0] and [0, 1, 0]: mean [0.5, 0.5, 0], predictive ln 2; each pass is certain, aleatoric 0;
        // epistemic ln 2. std: label 0 and 1 deviate by ±0.5 → √((0.25 + 0.25) / 2) = 0.5; label 2: 0.
        var u = UncertaintyCalculator.ForExample([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], TaskKind.Multiclass);
        Assert.Equal(Ln2, u.PredictiveEntropy, 15);
        Assert.Equal(0.0, u.Aleatoric);
        Assert.Equal(Ln2, u.Epistemic, 15);
        Assert.Equal([0.5, 0.5, 0.0], u.StandardDeviations);
        Assert.Equal(0.5, u.MaxProbability);
    }

    [Fact]
    public void Multilabel_uses_a_bernoulli_entropy_per_label_and_sums_them()
    {
        // Passes [0.5, 1] and [0.5, 0].
        // Label 0: mean 0.5, h = ln 2; both passes h = ln 2 → aleatoric ln 2, epistemic 0.
        // Label 1: mean 0.5, h = ln 2; passes certain (h = 0) → aleatoric 0, epistemic ln 2.
        // Example: predictive 2 ln 2, aleatoric ln 2, epistemic ln 2; std [0, 0.5].
        var u = UncertaintyCalculator.ForExample([[0.5, 1.0], [0.5, 0.0]], TaskKind.Multilabel);
        Assert.NotNull(u.PerLabel);
        Assert.Equal(new LabelUncertainty(Ln2, Ln2, 0.0), u.PerLabel![0]);
        Assert.Equal(Ln2, u.PerLabel[1].PredictiveEntropy, 15);
        Assert.Equal(0.0, u.PerLabel[1].Aleatoric);
        Assert.Equal(Ln2, u.PerLabel[1].Epistemic, 15);
        Assert.Equal(2 * Ln2, u.PredictiveEntropy, 15);
        Assert.Equal(Ln2, u.Aleatoric, 15);
        Assert.Equal(Ln2, u.Epistemic, 15);
        Assert.Equal([0.0, 0.5], u.StandardDeviations);
    }

    [Fact]
    public void Multilabel_three_passes_match_the_hand_computed_values()
    {
        // One label, passes 0.2, 0.4, 0.9: mean 0.5, predictive h(0.5) = ln 2 = 0.6931471805599453.
        // h(0.2) = −0.2 ln 0.2 − 0.8 ln 0.8 = 0.32188758248682003 + 0.17851484105136778 = 0.5004024235381879
        // h(0.4) = −0.4 ln 0.4 − 0.6 ln 0.6 = 0.3665162927496645 + 0.30649537425959444 = 0.6730116670092565
        // h(0.9) = 0.3250829733914482
        // aleatoric = (0.5004024235381879 + 0.6730116670092565 + 0.3250829733914482) / 3 = 0.4994990213129642
        // epistemic = 0.6931471805599453 − 0.4994990213129642 = 0.1936481592469811
        // std = √((0.09 + 0.01 + 0.16) / 3) = √0.08666… = 0.2943920288775949
        var u = UncertaintyCalculator.ForExample([[0.2], [0.4], [0.9]], TaskKind.Multilabel);
        Assert.Equal(0.5, u.MeanProbabilities[0], 15);
        Assert.Equal(0.6931471805599453, u.PredictiveEntropy, 14);
        Assert.Equal(0.4994990213129642, u.Aleatoric, 14);
        Assert.Equal(0.1936481592469811, u.Epistemic, 14);
        Assert.Equal(0.2943920288775949, u.StandardDeviations[0], 14);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void On_random_passes_predictive_is_aleatoric_plus_epistemic_and_epistemic_is_not_negative(TaskKind task, int labels)
    {
        var passes = RandomPasses(new SeededRandom(7), passes: 10, rows: 200, labels, task);
        var result = UncertaintyCalculator.FromPasses(passes, task);
        Assert.Equal(200, result.Length);
        foreach (var u in result)
        {
            Assert.True(Math.Abs(u.PredictiveEntropy - (u.Aleatoric + u.Epistemic)) <= 1e-9);
            Assert.True(u.Epistemic >= 0, $"epistemic {u.Epistemic}");
            Assert.True(u.Aleatoric >= 0);
            if (u.PerLabel is { } perLabel)
                foreach (var l in perLabel)
                {
                    Assert.True(Math.Abs(l.PredictiveEntropy - (l.Aleatoric + l.Epistemic)) <= 1e-9);
                    Assert.True(l.Epistemic >= 0);
                }
        }
        // Some passes disagree, so the epistemic part is not trivially 0.
        Assert.Contains(result, u => u.Epistemic > 1e-3);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void One_pass_is_all_aleatoric_with_an_epistemic_part_of_exactly_zero(TaskKind task, int labels)
    {
        var probabilities = RandomPasses(new SeededRandom(11), passes: 1, rows: 100, labels, task)[0];
        var result = UncertaintyCalculator.FromProbabilities(probabilities, task);
        for (int i = 0; i < result.Length; i++)
        {
            Assert.Equal(0.0, result[i].Epistemic);
            Assert.Equal(result[i].PredictiveEntropy, result[i].Aleatoric);
            Assert.All(result[i].StandardDeviations, s => Assert.Equal(0.0, s));
            Assert.Equal(probabilities[i], result[i].MeanProbabilities);
            double expected = task == TaskKind.Multilabel
                ? probabilities[i].Sum(Entropy.Bernoulli)
                : Entropy.Categorical(probabilities[i]);
            Assert.Equal(expected, result[i].PredictiveEntropy, 12);
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void Identical_passes_as_with_dropout_zero_give_an_epistemic_part_of_exactly_zero(TaskKind task, int labels)
    {
        var one = RandomPasses(new SeededRandom(3), passes: 1, rows: 100, labels, task)[0];
        var result = UncertaintyCalculator.FromPasses([one, one, one, one, one, one, one], task);
        foreach (var u in result)
        {
            Assert.Equal(0.0, u.Epistemic);
            Assert.All(u.StandardDeviations, s => Assert.Equal(0.0, s));
            if (u.PerLabel is { } perLabel) Assert.All(perLabel, l => Assert.Equal(0.0, l.Epistemic));
        }
    }

    [Fact]
    public void Equal_inputs_give_equal_outputs()
    {
        var a = UncertaintyCalculator.FromPasses(RandomPasses(new SeededRandom(5), 4, 20, 3, TaskKind.Multiclass), TaskKind.Multiclass);
        var b = UncertaintyCalculator.FromPasses(RandomPasses(new SeededRandom(5), 4, 20, 3, TaskKind.Multiclass), TaskKind.Multiclass);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].PredictiveEntropy, b[i].PredictiveEntropy);
            Assert.Equal(a[i].Epistemic, b[i].Epistemic);
            Assert.Equal(a[i].StandardDeviations, b[i].StandardDeviations);
        }
    }

    [Fact]
    public void No_pass_is_refused() =>
        Assert.Contains("No passes", Assert.Throws<ArgumentException>(() => UncertaintyCalculator.FromPasses([], TaskKind.Multiclass)).Message);

    [Fact]
    public void Passes_with_other_rows_or_rows_with_other_label_counts_are_refused()
    {
        var rows = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.FromPasses(
            [[[0.5, 0.5], [0.2, 0.8]], [[0.5, 0.5]]], TaskKind.Binary));
        Assert.Contains("Pass 1 has 1 rows but pass 0 has 2", rows.Message);
        var labels = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.FromPasses(
            [[[0.5, 0.5], [0.2, 0.8]], [[0.5, 0.5], [0.2, 0.3, 0.5]]], TaskKind.Multiclass));
        Assert.Contains("row 1, pass 1: 3 probabilities but pass 0 has 2", labels.Message);
        var rowWidths = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.FromPasses(
            [[[0.5, 0.5], [0.2, 0.3, 0.5]], [[0.5, 0.5], [0.2, 0.3, 0.5]]], TaskKind.Multiclass));
        Assert.Contains("row 1, pass 0: 3 probabilities but row 0 has 2", rowWidths.Message);
    }

    [Theory]
    [InlineData(double.NaN, "NaN is not a probability")]
    [InlineData(1.5, "1.5 is not a probability")]
    [InlineData(-0.1, "-0.1 is not a probability")]
    [InlineData(double.PositiveInfinity, "is not a probability")]
    public void A_value_outside_zero_to_one_is_refused_naming_pass_row_and_label(double bad, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.FromPasses(
            [[[0.5, 0.5], [0.2, 0.8]], [[0.5, 0.5], [0.3, bad]]], TaskKind.Multilabel));
        Assert.Contains("row 1, pass 1, label 1", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_single_label_row_that_does_not_sum_to_one_or_has_the_wrong_width_is_refused()
    {
        var sum = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.ForExample([[0.9, 0.8, 0.1]], TaskKind.Multiclass));
        Assert.Contains("sum to 1.8", sum.Message);
        Assert.Contains("multilabel", sum.Message);
        var binary = Assert.Throws<ArgumentException>(() => UncertaintyCalculator.ForExample([[0.2, 0.3, 0.5]], TaskKind.Binary));
        Assert.Contains("binary row has 1 probability", binary.Message);
        Assert.Throws<ArgumentException>(() => UncertaintyCalculator.ForExample([[1.0]], TaskKind.Multiclass));
        Assert.Throws<ArgumentException>(() => UncertaintyCalculator.ForExample([[]], TaskKind.Multilabel));
        // float32 round-off within the tolerance is accepted.
        UncertaintyCalculator.ForExample([[0.3, 0.70001]], TaskKind.Binary);
    }

    [Fact]
    public void The_json_fields_have_the_keys_and_order_of_the_prediction_format()
    {
        var u = UncertaintyCalculator.ForExample([[0.5, 1.0], [0.5, 0.0]], TaskKind.Multilabel);
        var json = JsonSerializer.Serialize(u.ToJsonFields(["joy", "anger"]), PredictionJson.Options);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["predictive_entropy", "aleatoric", "epistemic", "std", "per_label"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2 * Ln2, root.GetProperty("predictive_entropy").GetDouble(), 15);
        Assert.Equal(0.5, root.GetProperty("std").GetProperty("anger").GetDouble());
        Assert.Equal(Ln2, root.GetProperty("per_label").GetProperty("anger").GetProperty("epistemic").GetDouble(), 15);
        Assert.Equal(["aleatoric", "epistemic"], root.GetProperty("per_label").GetProperty("joy").EnumerateObject().Select(p => p.Name));

        var single = UncertaintyCalculator.ForExample([[0.5, 0.5]], TaskKind.Binary).ToJsonFields(["no", "yes"]);
        Assert.False(single.ContainsKey("per_label"));
        Assert.Throws<ArgumentException>(() => u.ToJsonFields(["only one"]));
    }

    /// <summary>[pass][row][label] probabilities: softmax rows for single-label tasks, independent ones for multilabel.</summary>
    internal static double[][][] RandomPasses(SeededRandom random, int passes, int rows, int labels, TaskKind task)
    {
        var result = new double[passes][][];
        for (int n = 0; n < passes; n++)
        {
            result[n] = new double[rows][];
            for (int i = 0; i < rows; i++)
            {
                var scores = new double[labels];
                // Mostly moderate scores, now and then an extreme one so probabilities of 0 and 1 occur too.
                for (int k = 0; k < labels; k++) scores[k] = random.NextInt(20) == 0 ? 800 * (random.NextDouble() - 0.5) : 6 * (random.NextDouble() - 0.5);
                result[n][i] = LinkFunction.Apply(scores, task == TaskKind.Multilabel ? ScoreLink.Sigmoid : ScoreLink.Softmax);
            }
        }
        return result;
    }
}
