using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Randomness;
using Classify.Core.Uncertainty;

namespace Classify.Core.Tests.Uncertainty;

public sealed class RejectionCurvesTests
{
    // Five items: right, wrong, right, right, wrong.
    private static readonly bool[] Correct = [true, false, true, true, false];
    private static readonly RankingScores Scores = new(
        Confidence: [0.9, 0.6, 0.8, 0.7, 0.5],
        PredictiveEntropy: [0.1, 0.9, 0.5, 0.5, 0.2],
        Aleatoric: [0.0, 0.0, 0.0, 0.0, 0.0],
        Epistemic: [0.3, 0.1, 0.2, 0.4, 0.5]);

    [Fact]
    public void The_grid_is_zero_to_ninety_percent_in_steps_of_five()
    {
        Assert.Equal(19, RejectionCurves.RejectedFractions.Count);
        Assert.Equal(0.0, RejectionCurves.RejectedFractions[0]);
        Assert.Equal(0.05, RejectionCurves.RejectedFractions[1]);
        Assert.Equal(0.9, RejectionCurves.RejectedFractions[^1]);
        Assert.Equal(6, RejectionCurves.Rankers.Count);
    }

    [Fact]
    public void Max_probability_rejects_the_least_confident_first_hand_example()
    {
        // Rejection order (lowest confidence first): 4 (wrong), 1 (wrong), 3, 2, 0.
        // Rejected = ⌊f·5⌋: 0 up to f = 0.15, 1 from 0.2, 2 from 0.4, 3 from 0.6, 4 from 0.8.
        // Accuracy: 3/5 = 0.6; after rejecting 4: 3/4 = 0.75; after rejecting 1 as well: 3/3 = 1, and 1 after that.
        var curve = RejectionCurves.FromScores(RejectionUnit.Example, Scores, Correct, seed: 1).Curve(RejectionRanker.MaxProbability);
        double[] expected = [0.6, 0.6, 0.6, 0.6, 0.75, 0.75, 0.75, 0.75, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        Assert.Equal(expected, curve.Points.Select(p => p.Metrics[0]));
        Assert.Equal([5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1], curve.Points.Select(p => p.Kept));
        Assert.Equal(0.8, curve.Points[4].Coverage);
        Assert.Equal(0.2, curve.Points[4].RejectedFraction);
        // AURC, most confident first: 0 (✓), 2 (✓), 3 (✓), 1 (✗), 4 (✗): risks 0, 0, 0, 1/4, 2/5 → (0.25 + 0.4) / 5 = 0.13.
        Assert.Equal(0.13, curve.Aurc, 15);
    }

    [Fact]
    public void Predictive_entropy_rejects_the_most_uncertain_first_with_ties_in_index_order()
    {
        // Rejection order (highest entropy first, the tie 2 = 3 in index order): 1 (✗), 2 (✓), 3 (✓), 4 (✗), 0 (✓).
        // Kept accuracy: 3/5; after 1: 3/4; after 2: 2/3; after 3: 1/2; after 4: 1/1.
        var curve = RejectionCurves.FromScores(RejectionUnit.Example, Scores, Correct, seed: 1).Curve(RejectionRanker.PredictiveEntropy);
        Assert.Equal(0.6, curve.Points[0].Metrics[0]);
        Assert.Equal(0.75, curve.Points[4].Metrics[0]);
        Assert.Equal(2.0 / 3, curve.Points[8].Metrics[0], 15);
        Assert.Equal(0.5, curve.Points[12].Metrics[0]);
        Assert.Equal(1.0, curve.Points[16].Metrics[0]);
        // AURC, most confident first: 0 (✓), 4 (✗), 3 (✓), 2 (✓), 1 (✗): risks 0, 1/2, 1/3, 1/4, 2/5
        // → (30 + 20 + 15 + 24) / 60 / 5 = 89/300.
        Assert.Equal(89.0 / 300, curve.Aurc, 15);
        Assert.Equal(89.0 / 300, RejectionCurves.Aurc(Scores.PredictiveEntropy, Correct), 15);
    }

    [Theory]
    [InlineData(false, true, 1.0, 0.25)]
    [InlineData(true, false, 0.0, 0.75)]
    public void Equal_scores_are_rejected_in_index_order(bool first, bool second, double keptAccuracy, double aurc)
    {
        // Two items of equal entropy: item 0 is rejected first at f = 0.5 (⌊0.5·2⌋ = 1), so item 1 is kept.
        // AURC, most confident first is item 1 then item 0: risk of item 1 alone, then 1/2.
        bool[] correct = [first, second];
        var scores = new RankingScores([0.5, 0.5], [0.3, 0.3], [0.3, 0.3], [0.0, 0.0]);
        var curve = RejectionCurves.FromScores(RejectionUnit.Example, scores, correct, seed: 1).Curve(RejectionRanker.PredictiveEntropy);
        Assert.Equal(keptAccuracy, curve.Points[10].Metrics[0]);
        Assert.Equal(aurc, curve.Aurc, 15);
        Assert.Equal(aurc, RejectionCurves.Aurc([0.3, 0.3], correct), 15);
    }

    [Fact]
    public void The_oracle_rejects_every_wrong_item_first_and_beats_random()
    {
        var random = new SeededRandom(42);
        int n = 300;
        var correct = new bool[n];
        for (int i = 0; i < n; i++) correct[i] = random.NextDouble() < 0.7;
        var noise = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var set = RejectionCurves.FromScores(RejectionUnit.Example, new RankingScores(noise, noise, noise, noise), correct, seed: 9);
        var oracle = set.Curve(RejectionRanker.Oracle);
        var randomCurve = set.Curve(RejectionRanker.Random);
        int wrong = correct.Count(c => !c);
        for (int g = 0; g < oracle.Points.Count; g++)
        {
            Assert.True(oracle.Points[g].Metrics[0] >= randomCurve.Points[g].Metrics[0]);
            int rejected = n - oracle.Points[g].Kept;
            // Rejecting r ≤ wrong items removes r errors: accuracy (n − wrong) / (n − r).
            if (rejected <= wrong) Assert.Equal((double)(n - wrong) / (n - rejected), oracle.Points[g].Metrics[0], 15);
        }
        Assert.Equal(1.0, oracle.Points[^1].Metrics[0]);   // 90 % rejected > 30 % wrong
        foreach (var curve in set.Curves) Assert.True(oracle.Aurc <= curve.Aurc, $"{curve.Ranker}: {curve.Aurc} < oracle {oracle.Aurc}");
        Assert.True(oracle.Aurc < randomCurve.Aurc);
    }

    [Fact]
    public void The_random_ranker_is_seeded()
    {
        var a = RejectionCurves.FromScores(RejectionUnit.Example, Scores, Correct, seed: 1).Curve(RejectionRanker.Random);
        var b = RejectionCurves.FromScores(RejectionUnit.Example, Scores, Correct, seed: 1).Curve(RejectionRanker.Random);
        Assert.Equal(a.Aurc, b.Aurc);
        Assert.Equal(a.Points.Select(p => p.Metrics[0]), b.Points.Select(p => p.Metrics[0]));
        // Another seed gives another order (over 5 items, several seeds cannot all agree with seed 1).
        var aurcs = Enumerable.Range(2, 10)
            .Select(s => RejectionCurves.FromScores(RejectionUnit.Example, Scores, Correct, (ulong)s).Curve(RejectionRanker.Random).Aurc);
        Assert.Contains(aurcs, x => x != a.Aurc);
    }

    [Fact]
    public void Single_label_curves_rank_examples_by_their_uncertainty()
    {
        // Example 1 is the least confident (max 0.4) and wrong: the max-probability curve keeps 2/2 right at f = 1/3 ≥ 0.35.
        var u = UncertaintyCalculator.FromProbabilities([[0.8, 0.1, 0.1], [0.4, 0.3, 0.3], [0.1, 0.7, 0.2]], TaskKind.Multiclass);
        var set = RejectionCurves.ForSingleLabel(u, gold: [0, 1, 1], predicted: [0, 0, 1], seed: 3);
        Assert.Equal(RejectionUnit.Example, set.Unit);
        Assert.Equal([MetricKeys.Accuracy], set.MetricNames);
        var curve = set.Curve(RejectionRanker.MaxProbability);
        Assert.Equal(2.0 / 3, curve.Points[0].Metrics[0], 15);
        Assert.Equal(1.0, curve.Points[7].Metrics[0]);   // f = 0.35: ⌊1.05⌋ = 1 rejected
        // One pass: epistemic is 0 for every example, so its ranking is index order: example 0 (right) goes first,
        // leaving 1 (wrong) and 2 (right).
        Assert.Equal(0.5, set.Curve(RejectionRanker.Epistemic).Points[7].Metrics[0]);
        Assert.Throws<ArgumentException>(() => RejectionCurves.ForSingleLabel(u, [0, 1], [0, 0], seed: 3));
        var multilabel = UncertaintyCalculator.FromProbabilities([[0.8], [0.4], [0.1]], TaskKind.Multilabel);
        Assert.Contains("single-label", Assert.Throws<ArgumentException>(() => RejectionCurves.ForSingleLabel(multilabel, [0, 1, 1], [0, 0, 1], 3)).Message);
    }

    [Fact]
    public void Multilabel_decisions_hand_example_with_accuracy_and_macro_f1_of_the_kept_decisions()
    {
        // Decisions (item = example · 2 + label), probability → confidence max(p, 1 − p), gold, predicted:
        //   0: (0, 0) 0.9 → 0.9, gold ✓, pred ✓  right
        //   1: (0, 1) 0.3 → 0.7, gold ✓, pred ✗  wrong
        //   2: (1, 0) 0.6 → 0.6, gold ✗, pred ✓  wrong
        //   3: (1, 1) 0.2 → 0.8, gold ✗, pred ✗  right
        // Rejection order: 2, 1, 3, 0.
        // f = 0: accuracy 2/4; label 0 TP 1 FP 1 → F1 2/3, label 1 FN 1 → F1 0; macro 1/3.
        // f = 0.25 (1 rejected, item 2): accuracy 2/3; label 0 TP 1 → F1 1, label 1 F1 0; macro 1/2.
        // f = 0.5 (items 2 and 1): accuracy 1; label 0 F1 1, label 1 has no positive left (zero_division = 0) → macro 1/2.
        // AURC, most confident first: 0 ✓, 3 ✓, 1 ✗, 2 ✗: risks 0, 0, 1/3, 1/2 → (5/6) / 4 = 5/24.
        var u = UncertaintyCalculator.FromProbabilities([[0.9, 0.3], [0.6, 0.2]], TaskKind.Multilabel);
        bool[][] gold = [[true, true], [false, false]];
        bool[][] predicted = [[true, false], [true, false]];
        var set = RejectionCurves.ForLabelDecisions(u, gold, predicted, seed: 1);
        Assert.Equal(RejectionUnit.Decision, set.Unit);
        Assert.Equal([MetricKeys.Accuracy, MetricKeys.MacroF1], set.MetricNames);
        var curve = set.Curve(RejectionRanker.MaxProbability);
        Assert.Equal(0.5, curve.Points[0].Metrics[0]);
        Assert.Equal(1.0 / 3, curve.Points[0].Metrics[1], 15);
        Assert.Equal(2.0 / 3, curve.Points[5].Metrics[0], 15);
        Assert.Equal(0.5, curve.Points[5].Metrics[1], 15);
        Assert.Equal(1.0, curve.Points[10].Metrics[0]);
        Assert.Equal(0.5, curve.Points[10].Metrics[1], 15);
        Assert.Equal(5.0 / 24, curve.Aurc, 15);
        // Macro-F1 with nothing rejected is the metrics code's own.
        Assert.Equal(ClassificationMetrics.PrecisionRecallFScore(gold, predicted, MetricAverage.Macro).F1, curve.Points[0].Metrics[1]);
        // Per-label entropies rank the decisions: h(0.6) is the largest, so item 2 goes first there too.
        Assert.Equal(2.0 / 3, set.Curve(RejectionRanker.PredictiveEntropy).Points[5].Metrics[0], 15);
    }

    [Fact]
    public void Multilabel_example_curves_use_subset_accuracy_and_macro_f1_of_the_kept_examples()
    {
        // Example 0 is certain and right; example 1 is uncertain (0.5) and wrong: rejecting one example (f = 0.5) keeps 0.
        var u = UncertaintyCalculator.FromProbabilities([[0.99, 0.01], [0.5, 0.1]], TaskKind.Multilabel);
        bool[][] gold = [[true, false], [false, true]];
        bool[][] predicted = [[true, false], [true, false]];
        var set = RejectionCurves.ForLabelSets(u, gold, predicted, seed: 1);
        Assert.Equal(RejectionUnit.Example, set.Unit);
        foreach (var ranker in new[] { RejectionRanker.MaxProbability, RejectionRanker.PredictiveEntropy, RejectionRanker.Aleatoric, RejectionRanker.Oracle })
        {
            var curve = set.Curve(ranker);
            Assert.Equal(0.5, curve.Points[0].Metrics[0]);
            Assert.Equal(1.0, curve.Points[10].Metrics[0]);
            // Kept: example 0 only; label 0 F1 1, label 1 has no positive (F1 0) → macro 0.5.
            Assert.Equal(0.5, curve.Points[10].Metrics[1]);
        }
        Assert.Throws<ArgumentException>(() => RejectionCurves.ForLabelSets(u, [[true, false], [false]], predicted, seed: 1));
    }

    [Fact]
    public void Bad_rejection_input_is_refused_with_a_clear_message()
    {
        Assert.Contains("No items", Assert.Throws<ArgumentException>(() =>
            RejectionCurves.FromScores(RejectionUnit.Example, new RankingScores([], [], [], []), [], seed: 1)).Message);
        Assert.Contains("Epistemic has 4 scores for 5 items", Assert.Throws<ArgumentException>(() =>
            RejectionCurves.FromScores(RejectionUnit.Example, Scores with { Epistemic = [0, 0, 0, 0] }, Correct, seed: 1)).Message);
        Assert.Contains("Confidence[2] is NaN", Assert.Throws<ArgumentException>(() =>
            RejectionCurves.FromScores(RejectionUnit.Example, Scores with { Confidence = [0.9, 0.6, double.NaN, 0.7, 0.5] }, Correct, seed: 1)).Message);
        Assert.Throws<ArgumentException>(() => RejectionCurves.Aurc([0.1], Correct));
    }
}
