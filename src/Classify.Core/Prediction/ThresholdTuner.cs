using Classify.Core.Labels;

namespace Classify.Core.Prediction;

/// <summary>
/// Chooses per-label decision thresholds that maximise each label's F1 on validation data: for multilabel tasks
/// one threshold per label; for binary tasks one threshold on the positive (second) label.
/// </summary>
public static class ThresholdTuner
{
    /// <summary>
    /// Tuned thresholds, one per label (the negative label of a binary task keeps 0.5). A label with no positive
    /// example in <paramref name="gold"/> keeps 0.5. The threshold is the midpoint between the chosen score and the
    /// next lower score, so it generalises rather than sitting exactly on a validation score.
    /// </summary>
    public static double[] Tune(LabelSchema schema, IReadOnlyList<int[]> gold, double[][] probabilities)
    {
        if (schema.Kind == TaskKind.Multiclass) throw new InvalidOperationException("Thresholds apply to binary and multilabel tasks; multiclass uses argmax.");
        var thresholds = Enumerable.Repeat(0.5, schema.Count).ToArray();
        var labels = schema.Kind == TaskKind.Binary ? new[] { 1 } : Enumerable.Range(0, schema.Count).ToArray();
        foreach (var k in labels)
        {
            var scores = new double[gold.Count];
            var positive = new bool[gold.Count];
            for (int i = 0; i < gold.Count; i++)
            {
                scores[i] = probabilities[i][k];
                positive[i] = Array.IndexOf(gold[i], k) >= 0;
            }
            thresholds[k] = BestF1Threshold(scores, positive) ?? 0.5;
        }
        return thresholds;
    }

    /// <summary>The threshold maximising F1 for one label, or null when there is no positive example.</summary>
    public static double? BestF1Threshold(double[] scores, bool[] positive)
    {
        int totalPositive = positive.Count(p => p);
        if (totalPositive == 0) return null;
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        int tp = 0, predicted = 0;
        double bestF1 = -1, best = 0.5;
        for (int r = 0; r < order.Length; r++)
        {
            predicted++;
            if (positive[order[r]]) tp++;
            // Only cut between distinct scores: everything with the same score is predicted alike.
            if (r + 1 < order.Length && scores[order[r + 1]] == scores[order[r]]) continue;
            double f1 = 2.0 * tp / (predicted + totalPositive);
            if (f1 > bestF1)
            {
                bestF1 = f1;
                double next = r + 1 < order.Length ? scores[order[r + 1]] : 0;
                best = (scores[order[r]] + next) / 2;
            }
        }
        return best;
    }
}
