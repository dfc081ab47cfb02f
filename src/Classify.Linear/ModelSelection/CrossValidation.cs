using System.Globalization;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Splitting;

namespace Classify.Linear.ModelSelection;

/// <summary>Produces the folds of a cross-validation from the targets of every row.</summary>
/// <param name="y">The targets.</param>
public delegate IReadOnlyList<Fold> FoldSplitter(SearchTargets y);

/// <summary>Scores predictions on a fold: higher is always better (losses are negated, as sklearn's <c>neg_log_loss</c>).</summary>
/// <param name="yTrue">Gold targets of the fold's test rows.</param>
/// <param name="probabilities">Predicted probabilities, one column per class or label.</param>
public delegate double FoldScorer(SearchTargets yTrue, double[][] probabilities);

/// <summary>Built-in fold splitters and scorers.</summary>
public static class CrossValidation
{
    /// <summary>
    /// Stratified k-fold. Single-label targets: scikit-learn's allocation rule (<c>StratifiedKFold</c>), every fold's class
    /// counts differ by at most one; shuffled folds come from <see cref="Classify.Core.Splitting.StratifiedKFold"/> (seeded,
    /// deterministic, not numpy's stream, so not bit-identical with sklearn's); unshuffled folds deal each class's rows in
    /// order, as sklearn does. Multi-label targets: iterative stratification
    /// (<see cref="Classify.Core.Splitting.MultilabelStratifiedKFold"/>, always shuffled by the seed).
    /// </summary>
    public static FoldSplitter StratifiedKFold(int folds = 5, bool shuffle = true, ulong seed = 42)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), $"Cross-validation needs at least 2 folds, got {folds}.");
        var singleLabel = SingleLabelKFold(folds, shuffle, seed);
        return targets => targets.LabelSets is { } sets
            ? MultilabelStratifiedKFold.Split(sets, targets.LabelCount, folds, seed)
            : singleLabel(targets.Classes!, targets.LabelCount);
    }

    private static Func<int[], int, IReadOnlyList<Fold>> SingleLabelKFold(int folds, bool shuffle, ulong seed)
    {
        if (shuffle)
            return (y, _) => Classify.Core.Splitting.StratifiedKFold.Split(y, folds, seed);
        return (y, classCount) =>
        {
            var counts = new int[classCount];
            foreach (var label in y) counts[label]++;
            if (counts.Max() < folds)
                throw new ArgumentException($"n_splits={folds} cannot be greater than the number of members in every class.", nameof(y));
            // sklearn encodes classes by first appearance, sorts the encoded labels and deals them round-robin.
            var firstSeen = Enumerable.Repeat(int.MaxValue, classCount).ToArray();
            for (int i = 0; i < y.Length; i++) firstSeen[y[i]] = Math.Min(firstSeen[y[i]], i);
            var order = Enumerable.Range(0, classCount).Where(c => counts[c] > 0).OrderBy(c => firstSeen[c]).ToArray();
            var sorted = order.SelectMany(c => Enumerable.Repeat(c, counts[c])).ToArray();
            var allocation = new int[folds, classCount];
            for (int i = 0; i < sorted.Length; i++) allocation[i % folds, sorted[i]]++;
            var testFold = new int[y.Length];
            foreach (var c in order)
            {
                var assignment = new List<int>(counts[c]);
                for (int f = 0; f < folds; f++) assignment.AddRange(Enumerable.Repeat(f, allocation[f, c]));
                int next = 0;
                for (int i = 0; i < y.Length; i++) if (y[i] == c) testFold[i] = assignment[next++];
            }
            return Fold.FromAssignment(testFold, folds);
        };
    }

    /// <summary>
    /// The scorer for a metric key of <see cref="MetricKeys"/> (sklearn scoring names such as <c>f1_macro</c> accepted).
    /// Single-label folds: accuracy, macro/micro/weighted F1, precision and recall, roc_auc_macro and pr_auc_macro
    /// (one-vs-rest), and the negated log_loss / brier_score, computed with <see cref="ClassificationMetrics"/> so the
    /// numbers are sklearn's. Multi-label folds: any key of the metric report (labels at probability ≥ 0.5), losses negated.
    /// </summary>
    public static FoldScorer Scorer(string metric, int classCount)
    {
        var key = MetricKeys.Normalize(metric);
        var singleLabel = SingleLabelScorer(key, metric, classCount);
        var multilabel = new LabelSchema(TaskKind.Multilabel, Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        double sign = MetricKeys.GreaterIsBetter(key) ? 1 : -1;
        return (y, p) =>
        {
            if (y.Classes is { } classes) return singleLabel(classes, p);
            var predicted = p.Select(row => DecisionRule.Apply(multilabel, row)).ToArray();
            var report = MetricReport.Compute("fold", multilabel, y.LabelSets!, predicted, p);
            return report.TryGet(key, out var value) ? sign * value : double.NaN;
        };
    }

    private static Func<int[], double[][], double> SingleLabelScorer(string key, string metric, int classCount) => key switch
    {
        MetricKeys.Accuracy => (y, p) => ClassificationMetrics.AccuracyScore(y, ArgMax(p)),
        MetricKeys.MacroF1 => (y, p) => Averaged(y, p, classCount, MetricAverage.Macro).F1,
        MetricKeys.MicroF1 => (y, p) => Averaged(y, p, classCount, MetricAverage.Micro).F1,
        MetricKeys.WeightedF1 => (y, p) => Averaged(y, p, classCount, MetricAverage.Weighted).F1,
        MetricKeys.MacroPrecision => (y, p) => Averaged(y, p, classCount, MetricAverage.Macro).Precision,
        MetricKeys.MicroPrecision => (y, p) => Averaged(y, p, classCount, MetricAverage.Micro).Precision,
        MetricKeys.WeightedPrecision => (y, p) => Averaged(y, p, classCount, MetricAverage.Weighted).Precision,
        MetricKeys.MacroRecall => (y, p) => Averaged(y, p, classCount, MetricAverage.Macro).Recall,
        MetricKeys.MicroRecall => (y, p) => Averaged(y, p, classCount, MetricAverage.Micro).Recall,
        MetricKeys.WeightedRecall => (y, p) => Averaged(y, p, classCount, MetricAverage.Weighted).Recall,
        MetricKeys.RocAucMacro => (y, p) => ClassificationMetrics.RocAucScoreOneVsRest(y, p, MetricAverage.Macro) ?? double.NaN,
        MetricKeys.PrAucMacro => (y, p) => ClassificationMetrics.AveragePrecisionScoreOneVsRest(y, p, MetricAverage.Macro) ?? double.NaN,
        MetricKeys.LogLoss => (y, p) => -ClassificationMetrics.LogLoss(y, p),
        MetricKeys.BrierScore => (y, p) => -ClassificationMetrics.MulticlassBrierScore(y, p),
        _ => (_, _) => throw new ArgumentException($"Metric '{metric}' cannot score a single-label fold.", nameof(metric)),
    };

    /// <summary>The most probable class per row (ties to the lowest index).</summary>
    public static int[] ArgMax(double[][] probabilities)
    {
        var result = new int[probabilities.Length];
        for (int i = 0; i < probabilities.Length; i++)
        {
            int best = 0;
            for (int k = 1; k < probabilities[i].Length; k++) if (probabilities[i][k] > probabilities[i][best]) best = k;
            result[i] = best;
        }
        return result;
    }

    private static AveragedScores Averaged(int[] y, double[][] p, int classCount, MetricAverage average) =>
        ClassificationMetrics.PrecisionRecallFScore(y, ArgMax(p), classCount, average);
}
