using Classify.Core.Labels;
using Classify.Core.Prediction;

namespace Classify.Core.Tests.Prediction;

public sealed class ThresholdTunerTests
{
    [Fact]
    public void The_threshold_sits_between_the_scores_where_F1_is_best()
    {
        // Positives at 0.9, 0.6 and 0.35; negatives at 0.5 and 0.1: cutting below 0.35 catches all three positives
        // with one false positive (F1 6/7), better than cutting at 0.6 (F1 0.8).
        double[] scores = [0.9, 0.6, 0.5, 0.35, 0.1];
        bool[] positive = [true, true, false, true, false];
        Assert.Equal((0.35 + 0.1) / 2, ThresholdTuner.BestF1Threshold(scores, positive)!.Value, 12);
    }

    [Fact]
    public void Ties_are_never_cut_and_a_label_without_positives_keeps_one_half()
    {
        Assert.Equal((0.7 + 0.2) / 2, ThresholdTuner.BestF1Threshold([0.7, 0.7, 0.2], [true, false, false])!.Value, 12);
        Assert.Null(ThresholdTuner.BestF1Threshold([0.7, 0.2], [false, false]));
    }

    [Fact]
    public void Binary_tasks_tune_the_positive_label_only_and_multilabel_tasks_every_label()
    {
        var binary = new LabelSchema(TaskKind.Binary, ["no", "yes"]);
        var t = ThresholdTuner.Tune(binary, [[1], [0], [1]], [[0.2, 0.8], [0.7, 0.3], [0.6, 0.4]]);
        Assert.Equal(0.5, t[0]);
        Assert.Equal((0.4 + 0.3) / 2, t[1], 12);

        var multi = new LabelSchema(TaskKind.Multilabel, ["a", "b"]);
        var m = ThresholdTuner.Tune(multi, [[0], [0, 1], []], [[0.9, 0.1], [0.3, 0.2], [0.1, 0.05]]);
        Assert.Equal((0.3 + 0.1) / 2, m[0], 12);
        Assert.Equal((0.2 + 0.1) / 2, m[1], 12);

        Assert.Throws<InvalidOperationException>(() => ThresholdTuner.Tune(new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]), [], []));
    }
}
