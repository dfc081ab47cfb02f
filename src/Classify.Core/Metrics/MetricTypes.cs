namespace Classify.Core.Metrics;

/// <summary>How per-class scores are combined into one number (scikit-learn's <c>average=</c>).</summary>
public enum MetricAverage
{
    /// <summary>Unweighted mean of the per-class scores.</summary>
    Macro,
    /// <summary>Counts (true positives, false positives, false negatives) pooled over classes before dividing.</summary>
    Micro,
    /// <summary>Mean of the per-class scores weighted by support (the number of true instances of each class).</summary>
    Weighted,
    /// <summary>Multi-label only: the score of each example's label set, averaged over examples.</summary>
    Samples,
}

/// <summary>
/// Per-class precision, recall, F1 and support (scikit-learn <c>precision_recall_fscore_support</c>
/// with <c>average=None</c>, <c>zero_division=0</c>). Index <c>k</c> is class (or label) <c>k</c>.
/// </summary>
/// <param name="Precision">TP / (TP + FP), 0 when nothing was predicted as the class.</param>
/// <param name="Recall">TP / (TP + FN), 0 when the class never occurs in the gold labels.</param>
/// <param name="F1">2PR / (P + R), 0 when P + R = 0.</param>
/// <param name="Support">Number of gold instances of the class.</param>
public sealed record PrecisionRecallFScore(double[] Precision, double[] Recall, double[] F1, int[] Support);

/// <summary>Precision, recall and F1 averaged over classes or samples.</summary>
/// <param name="Precision">Averaged precision.</param>
/// <param name="Recall">Averaged recall.</param>
/// <param name="F1">Averaged F1 (the average of per-class F1 for macro/weighted/samples, not the F1 of the averages).</param>
public readonly record struct AveragedScores(double Precision, double Recall, double F1);

/// <summary>
/// A ROC curve as scikit-learn 1.2.1 <c>roc_curve</c> returns it: points ordered by decreasing threshold,
/// starting at (0, 0) whose threshold is <c>max(score) + 1</c>.
/// </summary>
/// <param name="FalsePositiveRate">False positive rate at each threshold (x axis).</param>
/// <param name="TruePositiveRate">True positive rate (recall) at each threshold (y axis).</param>
/// <param name="Thresholds">Decreasing score thresholds; a sample is positive when its score is ≥ the threshold.</param>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double[] Thresholds)
{
    /// <summary>Area under the curve by the trapezoidal rule (scikit-learn <c>auc(fpr, tpr)</c>).</summary>
    public double Area() => ClassificationMetrics.Trapezoid(FalsePositiveRate, TruePositiveRate);
}

/// <summary>
/// A precision–recall curve as scikit-learn 1.2.1 <c>precision_recall_curve</c> returns it: thresholds ascending,
/// recall decreasing, and a final point (precision 1, recall 0) that has no threshold, so
/// <see cref="Precision"/> and <see cref="Recall"/> are one longer than <see cref="Thresholds"/>.
/// </summary>
/// <param name="Precision">Precision at each threshold, then 1.</param>
/// <param name="Recall">Recall at each threshold, then 0.</param>
/// <param name="Thresholds">Increasing distinct score values.</param>
public sealed record PrecisionRecallCurve(double[] Precision, double[] Recall, double[] Thresholds)
{
    /// <summary>
    /// Average precision: the step-wise integral Σₙ (Rₙ − Rₙ₋₁)·Pₙ without interpolation
    /// (scikit-learn <c>average_precision_score</c>).
    /// </summary>
    public double AveragePrecision()
    {
        double sum = 0;
        for (int i = 0; i < Recall.Length - 1; i++) sum += (Recall[i + 1] - Recall[i]) * Precision[i];
        return -sum;
    }
}
