using Classify.Core.Metrics;

namespace Classify.Core.Tests.Metrics;

/// <summary>Edge cases and the worked examples of the scikit-learn documentation.</summary>
public class ClassificationMetricsTests
{
    private static readonly bool[] DocTrue = [false, false, true, true];
    private static readonly double[] DocScores = [0.1, 0.4, 0.35, 0.8];

    [Fact]
    public void Roc_curve_matches_the_scikit_learn_docs_example()
    {
        var roc = ClassificationMetrics.RocCurve(DocTrue, DocScores);
        Assert.Equal([0, 0, 0.5, 0.5, 1], roc.FalsePositiveRate);
        Assert.Equal([0, 0.5, 0.5, 1, 1], roc.TruePositiveRate);
        Assert.Equal([1.8, 0.8, 0.4, 0.35, 0.1], roc.Thresholds);
        Assert.Equal(0.75, ClassificationMetrics.RocAucScore(DocTrue, DocScores));
    }

    [Fact]
    public void Precision_recall_curve_matches_the_scikit_learn_1_2_docs_example()
    {
        var pr = ClassificationMetrics.PrecisionRecallCurve(DocTrue, DocScores);
        Assert.Equal([0.5, 2.0 / 3, 0.5, 1, 1], pr.Precision);
        Assert.Equal([1, 1, 0.5, 0.5, 0], pr.Recall);
        Assert.Equal([0.1, 0.35, 0.4, 0.8], pr.Thresholds);
        Assert.Equal(0.8333333333333333, ClassificationMetrics.AveragePrecisionScore(DocTrue, DocScores)!.Value, 1e-15);
    }

    [Fact]
    public void Log_loss_matches_the_scikit_learn_docs_example()
    {
        // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]); ham = 0, spam = 1.
        double loss = ClassificationMetrics.LogLoss([1, 0, 0, 1], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]);
        Assert.Equal(0.21616187468057912, loss, 1e-15);
    }

    [Fact]
    public void Log_loss_clips_certain_mistakes_at_float64_epsilon()
    {
        double loss = ClassificationMetrics.LogLoss([0], [[0.0, 1.0]]);
        Assert.Equal(-Math.Log(ClassificationMetrics.Float64Epsilon / 1.0), loss, 1e-9);
        Assert.True(double.IsFinite(ClassificationMetrics.LogLoss([true], [0.0])));
    }

    [Fact]
    public void Log_loss_renormalises_rows_that_do_not_sum_to_one()
    {
        Assert.Equal(-Math.Log(0.5), ClassificationMetrics.LogLoss([0], [[0.2, 0.2]]), 1e-15);
    }

    [Fact]
    public void Matthews_matches_the_scikit_learn_docs_example()
    {
        // matthews_corrcoef([+1, +1, +1, -1], [+1, -1, +1, +1]) = -0.333...; -1 → 0, +1 → 1.
        Assert.Equal(-1.0 / 3, ClassificationMetrics.MatthewsCorrCoef([1, 1, 1, 0], [1, 0, 1, 1], 2), 1e-15);
        Assert.Equal(0.0, ClassificationMetrics.MatthewsCorrCoef([0, 0, 0], [0, 0, 0], 2));
    }

    [Fact]
    public void Tied_scores_form_one_threshold_and_give_chance_auc()
    {
        bool[] y = [true, false, true, false, false];
        double[] s = [0.3, 0.3, 0.3, 0.3, 0.3];
        var roc = ClassificationMetrics.RocCurve(y, s);
        Assert.Equal([0.0, 1.0], roc.FalsePositiveRate);
        Assert.Equal([0.0, 1.0], roc.TruePositiveRate);
        Assert.Equal([1.3, 0.3], roc.Thresholds);
        Assert.Equal(0.5, ClassificationMetrics.RocAucScore(y, s));
        Assert.Equal(0.4, ClassificationMetrics.AveragePrecisionScore(y, s)!.Value, 1e-15);
    }

    [Fact]
    public void Partial_ties_count_half_in_the_auc()
    {
        // One positive tied with one negative, another positive above everything: AUC = (1 + 1 + 0.5 + 1) / 4.
        bool[] y = [true, true, false, false];
        double[] s = [0.9, 0.5, 0.5, 0.1];
        Assert.Equal(0.875, ClassificationMetrics.RocAucScore(y, s));
        Assert.Equal(ClassificationMetrics.RocAucScore(y, s), ClassificationMetrics.RocAucScore(y, [0.9, 0.5, 0.5, 0.1]));
    }

    [Fact]
    public void Perfect_predictions_score_one()
    {
        int[] y = [0, 1, 2, 2, 1, 0];
        double[][] p = y.Select(c => Enumerable.Range(0, 3).Select(k => k == c ? 0.9 : 0.05).ToArray()).ToArray();
        Assert.Equal(1.0, ClassificationMetrics.AccuracyScore(y, y));
        Assert.Equal(1.0, ClassificationMetrics.PrecisionRecallFScore(y, y, 3, MetricAverage.Macro).F1);
        Assert.Equal(1.0, ClassificationMetrics.RocAucScoreOneVsRest(y, p, MetricAverage.Macro));
        Assert.Equal(1.0, ClassificationMetrics.AveragePrecisionScoreOneVsRest(y, p, MetricAverage.Macro));
        Assert.Equal(1.0, ClassificationMetrics.RocAucScoreOneVsOne(y, p));
        Assert.Equal(1.0, ClassificationMetrics.CohenKappaScore(y, y, 3), 1e-15);
        Assert.Equal(1.0, ClassificationMetrics.MatthewsCorrCoef(y, y, 3), 1e-15);
    }

    [Fact]
    public void A_class_absent_from_gold_and_predictions_scores_zero_and_lowers_the_macro()
    {
        int[] y = [0, 1, 0, 1];
        var s = ClassificationMetrics.PrecisionRecallFScoreSupport(y, y, 3);
        Assert.Equal([1.0, 1.0, 0.0], s.F1);
        Assert.Equal([2, 2, 0], s.Support);
        Assert.Equal(2.0 / 3, ClassificationMetrics.PrecisionRecallFScore(y, y, 3, MetricAverage.Macro).F1, 1e-15);
        Assert.Equal(1.0, ClassificationMetrics.PrecisionRecallFScore(y, y, 3, MetricAverage.Weighted).F1);
        Assert.Equal(1.0, ClassificationMetrics.BalancedAccuracyScore(y, y, 3));
    }

    [Fact]
    public void Auc_is_undefined_for_one_class_and_macro_skips_it()
    {
        Assert.Null(ClassificationMetrics.RocAucScore([true, true], [0.2, 0.7]));
        Assert.Null(ClassificationMetrics.RocAucScore([false, false], [0.2, 0.7]));
        Assert.Null(ClassificationMetrics.AveragePrecisionScore([false, false], [0.2, 0.7]));
        Assert.Equal(1.0, ClassificationMetrics.AveragePrecisionScore([true, true], [0.2, 0.7]));

        bool[][] y = [[true, false], [false, false], [true, false]];
        double[][] p = [[0.9, 0.2], [0.1, 0.4], [0.8, 0.3]];
        Assert.Equal(1.0, ClassificationMetrics.RocAucScore(y, p, MetricAverage.Macro));
        Assert.Equal([1.0, null], ClassificationMetrics.RocAucScorePerLabel(y, p));
        Assert.Null(ClassificationMetrics.RocAucScore([[false], [false]], [[0.1], [0.2]], MetricAverage.Macro));
    }

    [Fact]
    public void Roc_curve_of_a_single_class_reports_nan_rates()
    {
        var roc = ClassificationMetrics.RocCurve([true, true, true], [0.1, 0.5, 0.9]);
        Assert.All(roc.FalsePositiveRate, v => Assert.True(double.IsNaN(v)));
        Assert.Equal(1.0, roc.TruePositiveRate[^1]);
    }

    [Fact]
    public void Samples_average_scores_empty_against_empty_as_zero()
    {
        bool[][] y = [[false, false], [true, false]];
        var s = ClassificationMetrics.PrecisionRecallFScore(y, y, MetricAverage.Samples);
        Assert.Equal(0.5, s.F1);
        Assert.Equal(0.5, s.Precision);
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.PrecisionRecallFScore([0], [0], 2, MetricAverage.Samples));
    }

    [Fact]
    public void Hamming_and_subset_accuracy_count_labels_and_rows()
    {
        bool[][] y = [[true, false, true], [false, true, false]];
        bool[][] p = [[true, false, false], [false, true, false]];
        Assert.Equal(1.0 / 6, ClassificationMetrics.HammingLoss(y, p), 1e-15);
        Assert.Equal(0.5, ClassificationMetrics.AccuracyScore(y, p));
        var mcm = ClassificationMetrics.MultilabelConfusionMatrix(y, p);
        Assert.Equal([[1, 0], [1, 0]], mcm[2]);
    }

    [Fact]
    public void Label_ranking_average_precision_matches_the_scikit_learn_docs_example()
    {
        // label_ranking_average_precision_score([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1], [1, 0.2, 0.1]]) = 0.416...
        double v = ClassificationMetrics.LabelRankingAveragePrecisionScore(
            [[true, false, false], [false, false, true]], [[0.75, 0.5, 1], [1, 0.2, 0.1]]);
        Assert.Equal(0.41666666666666663, v, 1e-15);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.AccuracyScore(Array.Empty<int>(), Array.Empty<int>()));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.AccuracyScore([0, 1], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.ConfusionMatrix([0, 3], [0, 1], 3));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.RocCurve([true, false], [double.NaN, 0.2]));
    }
}
