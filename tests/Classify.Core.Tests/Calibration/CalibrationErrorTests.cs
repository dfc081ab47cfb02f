using Classify.Core.Calibration;
using Classify.Core.Labels;
using Classify.Core.Metrics;

namespace Classify.Core.Tests.Calibration;

public sealed class CalibrationErrorTests
{
    private static readonly LabelSchema ThreeClasses = new(TaskKind.Multiclass, ["a", "b", "c"]);
    private static readonly LabelSchema TwoLabels = new(TaskKind.Multilabel, ["x", "y"]);
    private static readonly LabelSchema Binary = new(TaskKind.Binary, ["neg", "pos"]);

    // Top label, confidence, right?, bin (b with b/15 < c ≤ (b+1)/15, i.e. ceil(15c) − 1):
    //   row 0: a 0.70 right  15·0.70 = 10.5 → bin 10
    //   row 1: b 0.75 wrong  15·0.75 = 11.25 → bin 11
    //   row 2: c 0.78 right  15·0.78 = 11.7 → bin 11
    //   row 3: a 0.42 wrong  15·0.42 = 6.3 → bin 6
    private static readonly double[][] MulticlassProbabilities = [[0.7, 0.2, 0.1], [0.2, 0.75, 0.05], [0.1, 0.12, 0.78], [0.42, 0.33, 0.25]];
    private static readonly int[][] MulticlassGold = [[0], [0], [2], [1]];

    [Fact]
    public void Multiclass_ece_is_the_count_weighted_gap_between_top_label_confidence_and_accuracy()
    {
        // bin 10: 1/4 · |1 − 0.70| = 0.075
        // bin 11: 2/4 · |0.5 − (0.75 + 0.78)/2| = 0.5 · 0.265 = 0.1325
        // bin 6:  1/4 · |0 − 0.42| = 0.105
        // ECE = 0.075 + 0.1325 + 0.105 = 0.3125
        Assert.Equal(0.3125, CalibrationError.Compute(ThreeClasses, MulticlassGold, MulticlassProbabilities), 12);
    }

    [Fact]
    public void Reliability_bins_hold_counts_mean_confidence_and_accuracy_with_empty_bins_null()
    {
        var bins = CalibrationError.Reliability(ThreeClasses, MulticlassGold, MulticlassProbabilities);
        Assert.Equal(CalibrationError.DefaultBinCount, bins.Count);
        Assert.Equal(4, bins.Sum(b => b.Count));
        Assert.Equal([6, 10, 11], bins.Select((b, i) => (b, i)).Where(x => x.b.Count > 0).Select(x => x.i));
        Assert.Equal(2, bins[11].Count);
        Assert.Equal(0.765, bins[11].Confidence!.Value, 12);
        Assert.Equal(0.5, bins[11].Accuracy!.Value, 12);
        Assert.Null(bins[0].Confidence);
        Assert.Equal(10.0 / 15, bins[10].Lower, 12);
        Assert.Equal(11.0 / 15, bins[10].Upper, 12);
    }

    [Fact]
    public void Multilabel_ece_is_the_mean_over_labels_of_each_labels_binary_ece()
    {
        double[][] p = [[0.9, 0.05], [0.1, 0.61], [0.85, 0.62], [0.3, 0.02]];
        int[][] gold = [[0], [1], [], [0]];
        // Label x: p 0.9 / 0.1 / 0.85 / 0.3 (bins 13, 1, 12, 4, one each), present 1 / 0 / 0 / 1:
        //   (|1 − 0.9| + |0 − 0.1| + |0 − 0.85| + |1 − 0.3|) / 4 = (0.1 + 0.1 + 0.85 + 0.7) / 4 = 0.4375
        // Label y: p 0.05 / 0.61 / 0.62 / 0.02, present 0 / 1 / 0 / 0:
        //   bin 0 (0.05, 0.02): 2/4 · |0 − 0.035| = 0.0175; bin 9 (0.61, 0.62): 2/4 · |0.5 − 0.615| = 0.0575; sum 0.075
        // ECE = (0.4375 + 0.075) / 2 = 0.25625
        Assert.Equal(0.25625, CalibrationError.Compute(TwoLabels, gold, p), 12);
        // The diagram pools the 8 (row, label) pairs.
        Assert.Equal(8, CalibrationError.Reliability(TwoLabels, gold, p).Sum(b => b.Count));
    }

    [Fact]
    public void Binary_ece_uses_the_top_label_whatever_the_thresholds()
    {
        // Row 0: top 'pos' 0.7, right (bin 10); row 1: top 'neg' 0.62, wrong (gold pos; bin 9). ECE = (0.3 + 0.62) / 2 = 0.46.
        Assert.Equal(0.46, CalibrationError.Compute(Binary, [[1], [1]], [[0.3, 0.7], [0.62, 0.38]]), 12);
    }

    [Fact]
    public void Bin_edges_are_closed_above_and_zero_and_one_fall_into_the_end_bins()
    {
        var bins = CalibrationError.Reliability(TwoLabels, [[0], [1]], [[1.0, 0.0], [0.5, 1.0]]);
        // Pairs: (1.0, x), (0.0, y), (0.5, x), (1.0, y).
        Assert.Equal(1, bins[0].Count);    // 0 belongs to the first bin
        Assert.Equal(2, bins[14].Count);   // 1 is the upper edge of the last bin
        Assert.Equal(1, bins[7].Count);    // 7/15 < 0.5 ≤ 8/15
    }

    [Fact]
    public void A_perfectly_calibrated_split_has_ece_zero()
    {
        // Four rows at confidence 0.75, three right.
        double[][] p = [[0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.75, 0.25]];
        Assert.Equal(0, CalibrationError.Compute(Binary, [[0], [0], [0], [1]], p), 12);
    }

    [Fact]
    public void Metric_reports_carry_ece_and_the_brier_score_equals_a_direct_computation()
    {
        var report = MetricReport.Compute("test", ThreeClasses, MulticlassGold, MulticlassGold, MulticlassProbabilities);
        Assert.Equal(0.3125, report.Get(MetricKeys.Ece), 12);
        // Σₖ (onehotₖ − pₖ)² per row: 0.09 + 0.04 + 0.01 = 0.14; 0.64 + 0.5625 + 0.0025 = 1.205;
        // 0.01 + 0.0144 + 0.0484 = 0.0728; 0.1764 + 0.4489 + 0.0625 = 0.6878. Mean = 2.1056 / 4 = 0.5264.
        Assert.Equal(0.5264, report.BrierScore, 12);
        Assert.Equal(report.BrierScore, MetricReport.ComputeBrierScore(ThreeClasses, MulticlassGold, MulticlassProbabilities));
        Assert.False(MetricKeys.GreaterIsBetter("ece"));
    }

    [Fact]
    public void No_rows_or_mismatched_rows_are_refused()
    {
        Assert.Throws<ArgumentException>(() => CalibrationError.Compute(ThreeClasses, [], []));
        Assert.Throws<ArgumentException>(() => CalibrationError.Compute(ThreeClasses, [[0]], [[0.5, 0.5]]));
        Assert.Throws<ArgumentException>(() => CalibrationError.Compute(ThreeClasses, [[0], [1]], [[0.2, 0.3, 0.5]]));
    }
}
