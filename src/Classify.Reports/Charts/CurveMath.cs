using Classify.Core.Metrics;

namespace Classify.Reports.Charts;

/// <summary>A curve ready to draw: x/y points and its area summary (ROC AUC or average precision).</summary>
internal sealed record Curve(double[] X, double[] Y, double Area);

/// <summary>
/// Curve helpers for drawing: one-vs-rest ROC and precision-recall curves from
/// <see cref="ClassificationMetrics"/> (scikit-learn definitions) as drawable points with their area, a
/// shape-preserving downsampler so a 5,000-threshold curve draws as a few hundred points, and F1 across thresholds.
/// </summary>
internal static class CurveMath
{
    /// <summary>ROC curve (x = false positive rate, y = true positive rate) and its AUC; null without both classes.</summary>
    public static Curve? Roc(bool[] gold, double[] scores)
    {
        if (!HasBothClasses(gold)) return null;
        var roc = ClassificationMetrics.RocCurve(gold, scores);
        return new Curve(roc.FalsePositiveRate, roc.TruePositiveRate, roc.Area());
    }

    /// <summary>Precision-recall curve (x = recall, y = precision) and its average precision; null without a positive example.</summary>
    public static Curve? PrecisionRecall(bool[] gold, double[] scores)
    {
        if (!gold.Contains(true)) return null;
        var pr = ClassificationMetrics.PrecisionRecallCurve(gold, scores);
        return new Curve(pr.Recall, pr.Precision, pr.AveragePrecision());
    }

    private static bool HasBothClasses(bool[] gold) => gold.Contains(true) && gold.Contains(false);

    /// <summary>
    /// Keeps at most about <paramref name="maxPoints"/> points: a point is kept when the path since the last kept
    /// point is longer than total length / maxPoints, and the first and last points are always kept. Corners of
    /// step-shaped curves survive because every long segment is kept.
    /// </summary>
    public static (double[] X, double[] Y) Downsample(double[] x, double[] y, int maxPoints = 300)
    {
        if (x.Length <= maxPoints) return (x, y);
        double total = 0;
        for (int i = 1; i < x.Length; i++) total += Math.Abs(x[i] - x[i - 1]) + Math.Abs(y[i] - y[i - 1]);
        double step = total / maxPoints;
        var xs = new List<double>(maxPoints + 2) { x[0] };
        var ys = new List<double>(maxPoints + 2) { y[0] };
        double travelled = 0;
        for (int i = 1; i < x.Length - 1; i++)
        {
            travelled += Math.Abs(x[i] - x[i - 1]) + Math.Abs(y[i] - y[i - 1]);
            if (travelled >= step)
            {
                xs.Add(x[i]);
                ys.Add(y[i]);
                travelled = 0;
            }
        }
        xs.Add(x[^1]);
        ys.Add(y[^1]);
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>F1 of one label when it is predicted for scores ≥ each threshold (the DecisionRule convention).</summary>
    public static double[] F1AtThresholds(bool[] gold, double[] scores, double[] thresholds)
    {
        var sorted = (double[])scores.Clone();
        var goldSorted = (bool[])gold.Clone();
        Array.Sort(sorted, goldSorted);
        // positivesAbove[i] = gold positives among sorted[i..].
        var positivesFrom = new int[sorted.Length + 1];
        for (int i = sorted.Length - 1; i >= 0; i--) positivesFrom[i] = positivesFrom[i + 1] + (goldSorted[i] ? 1 : 0);
        int positives = positivesFrom[0];
        var f1 = new double[thresholds.Length];
        for (int t = 0; t < thresholds.Length; t++)
        {
            int first = LowerBound(sorted, thresholds[t]);
            int predicted = sorted.Length - first;
            int tp = positivesFrom[first];
            int denominator = predicted + positives; // 2TP + FP + FN
            f1[t] = denominator == 0 ? 0 : 2.0 * tp / denominator;
        }
        return f1;
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
