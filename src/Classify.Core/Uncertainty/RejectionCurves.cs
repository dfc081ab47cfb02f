using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Randomness;

namespace Classify.Core.Uncertainty;

/// <summary>How a rejection curve orders the items it rejects (most uncertain first).</summary>
public enum RejectionRanker
{
    /// <summary>Lowest confidence first: the largest mean probability of a single-label example, the probability of the decided outcome of a multi-label decision.</summary>
    MaxProbability,
    /// <summary>Highest predictive entropy H(E[p]) first.</summary>
    PredictiveEntropy,
    /// <summary>Highest aleatoric uncertainty E[H(p)] first.</summary>
    Aleatoric,
    /// <summary>Highest epistemic uncertainty (mutual information) first.</summary>
    Epistemic,
    /// <summary>A seeded random order: the baseline any useful ranking beats.</summary>
    Random,
    /// <summary>Every wrong item first: the best any ranking can do.</summary>
    Oracle,
}

/// <summary>What a rejection curve rejects.</summary>
public enum RejectionUnit
{
    /// <summary>Whole examples (single-label, and multi-label with the whole label set as the decision).</summary>
    Example,
    /// <summary>One (example, label) decision of a multi-label task: "reject the X % most uncertain classifications".</summary>
    Decision,
}

/// <summary>The names of rankers and units in <c>rejection_&lt;split&gt;.csv</c>.</summary>
public static class RejectionNames
{
    /// <summary><c>max_probability</c>, <c>predictive_entropy</c>, <c>aleatoric</c>, <c>epistemic</c>, <c>random</c> or <c>oracle</c>.</summary>
    public static string ToName(this RejectionRanker ranker) => ranker switch
    {
        RejectionRanker.MaxProbability => "max_probability",
        RejectionRanker.PredictiveEntropy => "predictive_entropy",
        RejectionRanker.Aleatoric => "aleatoric",
        RejectionRanker.Epistemic => "epistemic",
        RejectionRanker.Random => "random",
        RejectionRanker.Oracle => "oracle",
        _ => throw new ArgumentOutOfRangeException(nameof(ranker)),
    };

    /// <summary><c>example</c> or <c>decision</c>.</summary>
    public static string ToName(this RejectionUnit unit) => unit switch
    {
        RejectionUnit.Example => "example",
        RejectionUnit.Decision => "decision",
        _ => throw new ArgumentOutOfRangeException(nameof(unit)),
    };

    /// <summary>The ranker of a name written by <see cref="ToName(RejectionRanker)"/>; <see langword="null"/> for any other string.</summary>
    public static RejectionRanker? ParseRanker(string name)
    {
        foreach (var ranker in Enum.GetValues<RejectionRanker>()) if (ranker.ToName() == name) return ranker;
        return null;
    }

    /// <summary>The unit of a name written by <see cref="ToName(RejectionUnit)"/>; <see langword="null"/> for any other string.</summary>
    public static RejectionUnit? ParseUnit(string name)
    {
        foreach (var unit in Enum.GetValues<RejectionUnit>()) if (unit.ToName() == name) return unit;
        return null;
    }
}

/// <summary>
/// Per item (example or decision), what the rankers sort on. <paramref name="Confidence"/> is rejected lowest first,
/// the three uncertainties highest first.
/// </summary>
/// <param name="Confidence">The confidence of the item's decision (any increasing function of it ranks the same).</param>
/// <param name="PredictiveEntropy">Predictive entropy, nats.</param>
/// <param name="Aleatoric">Aleatoric uncertainty, nats.</param>
/// <param name="Epistemic">Epistemic uncertainty, nats.</param>
public sealed record RankingScores(double[] Confidence, double[] PredictiveEntropy, double[] Aleatoric, double[] Epistemic);

/// <summary>One point of a rejection curve.</summary>
/// <param name="RejectedFraction">The nominal fraction rejected, a value of <see cref="RejectionCurves.RejectedFractions"/>.</param>
/// <param name="Coverage">The fraction actually kept, <paramref name="Kept"/> / items.</param>
/// <param name="Kept">Items kept: items − ⌊fraction × items⌋.</param>
/// <param name="Metrics">The metrics on the kept items, in the order of <see cref="RejectionCurveSet.MetricNames"/>.</param>
public sealed record RejectionPoint(double RejectedFraction, double Coverage, int Kept, IReadOnlyList<double> Metrics);

/// <summary>The curve of one ranker.</summary>
/// <param name="Ranker">The order of rejection.</param>
/// <param name="Points">One point per rejected fraction, in increasing order.</param>
/// <param name="Aurc">Area under the risk–coverage curve over every coverage (see <see cref="RejectionCurves.Aurc"/>); lower is better.</param>
public sealed record RejectionCurve(RejectionRanker Ranker, IReadOnlyList<RejectionPoint> Points, double Aurc);

/// <summary>The rejection curves of every ranker for one unit (examples or decisions) of one split.</summary>
/// <param name="Unit">What is rejected.</param>
/// <param name="MetricNames">The metric keys of each point (<see cref="MetricKeys"/>: accuracy, then macro_f1 for multi-label).</param>
/// <param name="Curves">One curve per ranker, in <see cref="RejectionCurves.Rankers"/> order.</param>
public sealed record RejectionCurveSet(RejectionUnit Unit, IReadOnlyList<string> MetricNames, IReadOnlyList<RejectionCurve> Curves)
{
    /// <summary>The curve of <paramref name="ranker"/>.</summary>
    /// <exception cref="KeyNotFoundException">The set has no curve for it.</exception>
    public RejectionCurve Curve(RejectionRanker ranker) =>
        Curves.FirstOrDefault(c => c.Ranker == ranker) ?? throw new KeyNotFoundException($"No {ranker.ToName()} curve.");
}

/// <summary>
/// Selective prediction: how a metric improves on the items kept when the most uncertain ones are rejected, for each
/// <see cref="RejectionRanker"/>, and the area under the risk–coverage curve (AURC). See docs/uncertainty.md.
/// </summary>
/// <remarks>
/// <para>At rejected fraction f of n items, the ⌊f·n⌋ items that come first in the ranker's order are rejected (so at
/// least one item is always kept: f ≤ 0.9). Orders are deterministic: equal scores keep index order (a stable sort),
/// the oracle takes wrong items in index order, then right ones, and the random ranker is a permutation drawn from
/// <see cref="SeededRandom.ForPurpose"/>(seed, <see cref="RandomPurpose"/>), so the same seed gives the same file.</para>
/// <para>Metrics: <c>accuracy</c> is the fraction of kept items that are right (single-label: the predicted class;
/// multi-label examples: the whole label set, subset accuracy; decisions: the label's yes/no). Multi-label sets add
/// <c>macro_f1</c> of the kept items, computed by <see cref="ClassificationMetrics.PrecisionRecallFScore(bool[][], bool[][], MetricAverage)"/>
/// over every label of the schema (a rejected decision counts as neither gold nor predicted, which leaves TP, FP and
/// FN of the kept ones unchanged).</para>
/// </remarks>
public static class RejectionCurves
{
    /// <summary>The purpose string that derives the random ranker's stream from the seed.</summary>
    public const string RandomPurpose = "rejection";

    private static readonly int[] RejectedPercents = Enumerable.Range(0, 19).Select(i => 5 * i).ToArray();

    /// <summary>The grid of rejected fractions: 0, 0.05, 0.10, …, 0.90 (19 points).</summary>
    public static IReadOnlyList<double> RejectedFractions { get; } = RejectedPercents.Select(p => p / 100.0).ToArray();

    /// <summary>Every ranker, in the order curves and files list them.</summary>
    public static IReadOnlyList<RejectionRanker> Rankers { get; } = Enum.GetValues<RejectionRanker>();

    /// <summary>
    /// Rejects whole examples of a single-label task (binary or multiclass); metric: accuracy. Confidence is the
    /// example's <see cref="ExampleUncertainty.MaxProbability"/>.
    /// </summary>
    /// <param name="uncertainty">One per example (single-label).</param>
    /// <param name="gold">Gold class index per example.</param>
    /// <param name="predicted">Predicted class index per example.</param>
    /// <param name="seed">Seed of the random ranker.</param>
    /// <exception cref="ArgumentException">No example, lengths that differ, or multi-label uncertainties.</exception>
    public static RejectionCurveSet ForSingleLabel(IReadOnlyList<ExampleUncertainty> uncertainty, int[] gold, int[] predicted, ulong seed)
    {
        CheckExamples(uncertainty, gold, predicted, multilabel: false);
        var correct = new bool[gold.Length];
        for (int i = 0; i < correct.Length; i++) correct[i] = gold[i] == predicted[i];
        var scores = new RankingScores(
            uncertainty.Select(u => u.MaxProbability).ToArray(),
            uncertainty.Select(u => u.PredictiveEntropy).ToArray(),
            uncertainty.Select(u => u.Aleatoric).ToArray(),
            uncertainty.Select(u => u.Epistemic).ToArray());
        return FromScores(RejectionUnit.Example, scores, correct, seed);
    }

    /// <summary>
    /// Rejects whole examples of a multi-label task; metrics: subset accuracy and macro-F1 of the kept examples.
    /// Confidence is the log-probability of the most probable label set under independent labels, Σⱼ ln max(E[pⱼ], 1 − E[pⱼ]).
    /// </summary>
    /// <param name="uncertainty">One per example (multilabel).</param>
    /// <param name="gold">Gold indicator matrix [example][label].</param>
    /// <param name="predicted">Predicted indicator matrix [example][label].</param>
    /// <param name="seed">Seed of the random ranker.</param>
    /// <exception cref="ArgumentException">No example, shapes that differ, or single-label uncertainties.</exception>
    public static RejectionCurveSet ForLabelSets(IReadOnlyList<ExampleUncertainty> uncertainty, bool[][] gold, bool[][] predicted, ulong seed)
    {
        CheckExamples(uncertainty, gold, predicted, multilabel: true);
        int n = gold.Length;
        var correct = new bool[n];
        for (int i = 0; i < n; i++) correct[i] = gold[i].AsSpan().SequenceEqual(predicted[i]);
        var scores = new RankingScores(
            uncertainty.Select(u => u.MeanProbabilities.Sum(p => Math.Log(Math.Max(p, 1 - p)))).ToArray(),
            uncertainty.Select(u => u.PredictiveEntropy).ToArray(),
            uncertainty.Select(u => u.Aleatoric).ToArray(),
            uncertainty.Select(u => u.Epistemic).ToArray());
        string[] metricNames = [MetricKeys.Accuracy, MetricKeys.MacroF1];
        return Build(RejectionUnit.Example, scores, correct, seed, metricNames, kept =>
        {
            var rows = Enumerable.Range(0, n).Where(i => kept[i]).ToArray();
            var keptGold = Array.ConvertAll(rows, i => gold[i]);
            var keptPredicted = Array.ConvertAll(rows, i => predicted[i]);
            return [Accuracy(correct, kept), ClassificationMetrics.PrecisionRecallFScore(keptGold, keptPredicted, MetricAverage.Macro).F1];
        });
    }

    /// <summary>
    /// Rejects single (example, label) decisions of a multi-label task, item i·L + j being label j of example i; metrics:
    /// accuracy of the kept decisions and their macro-F1 over the labels. Confidence is max(E[pⱼ], 1 − E[pⱼ]), the
    /// uncertainties are the label's <see cref="ExampleUncertainty.PerLabel"/> values.
    /// </summary>
    /// <param name="uncertainty">One per example (multilabel).</param>
    /// <param name="gold">Gold indicator matrix [example][label].</param>
    /// <param name="predicted">Predicted indicator matrix [example][label].</param>
    /// <param name="seed">Seed of the random ranker.</param>
    /// <exception cref="ArgumentException">No example, shapes that differ, or single-label uncertainties.</exception>
    public static RejectionCurveSet ForLabelDecisions(IReadOnlyList<ExampleUncertainty> uncertainty, bool[][] gold, bool[][] predicted, ulong seed)
    {
        CheckExamples(uncertainty, gold, predicted, multilabel: true);
        int n = gold.Length, labels = gold[0].Length;
        int items = checked(n * labels);
        var correct = new bool[items];
        var scores = new RankingScores(new double[items], new double[items], new double[items], new double[items]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < labels; j++)
            {
                int item = i * labels + j;
                double p = uncertainty[i].MeanProbabilities[j];
                var label = uncertainty[i].PerLabel![j];
                correct[item] = gold[i][j] == predicted[i][j];
                scores.Confidence[item] = Math.Max(p, 1 - p);
                scores.PredictiveEntropy[item] = label.PredictiveEntropy;
                scores.Aleatoric[item] = label.Aleatoric;
                scores.Epistemic[item] = label.Epistemic;
            }
        string[] metricNames = [MetricKeys.Accuracy, MetricKeys.MacroF1];
        return Build(RejectionUnit.Decision, scores, correct, seed, metricNames, kept =>
        {
            var keptGold = new bool[n][];
            var keptPredicted = new bool[n][];
            for (int i = 0; i < n; i++)
            {
                keptGold[i] = new bool[labels];
                keptPredicted[i] = new bool[labels];
                for (int j = 0; j < labels; j++)
                {
                    bool isKept = kept[i * labels + j];
                    keptGold[i][j] = isKept && gold[i][j];
                    keptPredicted[i][j] = isKept && predicted[i][j];
                }
            }
            return [Accuracy(correct, kept), ClassificationMetrics.PrecisionRecallFScore(keptGold, keptPredicted, MetricAverage.Macro).F1];
        });
    }

    /// <summary>
    /// Rejection curves of any items from their ranking scores and whether each is right; metric: accuracy. The building
    /// block of the other methods, for rankings computed elsewhere.
    /// </summary>
    /// <param name="unit">What the items are (recorded in the result and the file).</param>
    /// <param name="scores">Per-item scores, each array as long as <paramref name="correct"/>; no NaN.</param>
    /// <param name="correct">Whether each item's decision is right.</param>
    /// <param name="seed">Seed of the random ranker.</param>
    /// <exception cref="ArgumentException">No item, arrays of another length, or a NaN score.</exception>
    public static RejectionCurveSet FromScores(RejectionUnit unit, RankingScores scores, bool[] correct, ulong seed) =>
        Build(unit, scores, correct, seed, [MetricKeys.Accuracy], kept => [Accuracy(correct, kept)]);

    /// <summary>
    /// The area under the risk–coverage curve of Geifman and El-Yaniv, over every coverage: with the items sorted from
    /// most to least confident, AURC = (1/n) Σₖ₌₁ⁿ (errors among the first k) / k, risk being 1 − accuracy. Lower is
    /// better; the oracle's is the least possible for the error count. Items are sorted by
    /// <paramref name="uncertainty"/> ascending, equal values in index order (the reverse of the rejection order).
    /// </summary>
    /// <param name="uncertainty">Per item, higher = less confident; no NaN.</param>
    /// <param name="correct">Whether each item's decision is right.</param>
    /// <exception cref="ArgumentException">No item, lengths that differ, or a NaN.</exception>
    public static double Aurc(double[] uncertainty, bool[] correct)
    {
        ArgumentNullException.ThrowIfNull(uncertainty);
        CheckItems(correct);
        CheckScores(uncertainty, correct.Length, nameof(uncertainty));
        return AurcOf(OrderByDescending(uncertainty), correct);
    }

    private static RejectionCurveSet Build(RejectionUnit unit, RankingScores scores, bool[] correct, ulong seed,
        string[] metricNames, Func<bool[], double[]> evaluate)
    {
        ArgumentNullException.ThrowIfNull(scores);
        CheckItems(correct);
        int n = correct.Length;
        CheckScores(scores.Confidence, n, nameof(scores.Confidence));
        CheckScores(scores.PredictiveEntropy, n, nameof(scores.PredictiveEntropy));
        CheckScores(scores.Aleatoric, n, nameof(scores.Aleatoric));
        CheckScores(scores.Epistemic, n, nameof(scores.Epistemic));
        var curves = new List<RejectionCurve>(Rankers.Count);
        var kept = new bool[n];
        foreach (var ranker in Rankers)
        {
            var order = RejectionOrder(ranker, scores, correct, seed);
            var points = new RejectionPoint[RejectedPercents.Length];
            for (int g = 0; g < points.Length; g++)
            {
                int rejected = (int)((long)RejectedPercents[g] * n / 100);
                Array.Fill(kept, true);
                for (int r = 0; r < rejected; r++) kept[order[r]] = false;
                points[g] = new RejectionPoint(RejectedFractions[g], (double)(n - rejected) / n, n - rejected, evaluate(kept));
            }
            curves.Add(new RejectionCurve(ranker, points, AurcOf(order, correct)));
        }
        return new RejectionCurveSet(unit, metricNames, curves);
    }

    // Item indices, first rejected first.
    private static int[] RejectionOrder(RejectionRanker ranker, RankingScores scores, bool[] correct, ulong seed) => ranker switch
    {
        RejectionRanker.MaxProbability => OrderByDescending(Array.ConvertAll(scores.Confidence, c => -c)),
        RejectionRanker.PredictiveEntropy => OrderByDescending(scores.PredictiveEntropy),
        RejectionRanker.Aleatoric => OrderByDescending(scores.Aleatoric),
        RejectionRanker.Epistemic => OrderByDescending(scores.Epistemic),
        RejectionRanker.Random => SeededRandom.ForPurpose(seed, RandomPurpose).Permutation(correct.Length),
        RejectionRanker.Oracle => Enumerable.Range(0, correct.Length).OrderBy(i => correct[i]).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(ranker)),
    };

    // LINQ's OrderBy is a stable sort: equal keys keep index order.
    private static int[] OrderByDescending(double[] keys) => Enumerable.Range(0, keys.Length).OrderByDescending(i => keys[i]).ToArray();

    // The kept prefix at coverage k/n is the last k items of the rejection order.
    private static double AurcOf(int[] rejectionOrder, bool[] correct)
    {
        int n = rejectionOrder.Length, errors = 0;
        double sum = 0;
        for (int k = 1; k <= n; k++)
        {
            if (!correct[rejectionOrder[n - k]]) errors++;
            sum += (double)errors / k;
        }
        return sum / n;
    }

    private static double Accuracy(bool[] correct, bool[] kept)
    {
        int right = 0, count = 0;
        for (int i = 0; i < correct.Length; i++)
            if (kept[i]) { count++; if (correct[i]) right++; }
        return (double)right / count;
    }

    private static void CheckItems(bool[] correct)
    {
        ArgumentNullException.ThrowIfNull(correct);
        if (correct.Length == 0) throw new ArgumentException("No items: a rejection curve needs at least one.", nameof(correct));
    }

    private static void CheckScores(double[] scores, int items, string name)
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        if (scores.Length != items) throw new ArgumentException($"{name} has {scores.Length} scores for {items} items.", name);
        int nan = Array.FindIndex(scores, double.IsNaN);
        if (nan >= 0) throw new ArgumentException($"{name}[{nan}] is NaN; rankings need comparable scores.", name);
    }

    private static void CheckExamples<T>(IReadOnlyList<ExampleUncertainty> uncertainty, T[] gold, T[] predicted, bool multilabel)
    {
        ArgumentNullException.ThrowIfNull(uncertainty);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Length == 0) throw new ArgumentException("No examples: a rejection curve needs at least one.", nameof(gold));
        if (uncertainty.Count != gold.Length || predicted.Length != gold.Length)
            throw new ArgumentException($"{uncertainty.Count} uncertainties, {gold.Length} gold and {predicted.Length} predicted rows: one of each per example.");
        for (int i = 0; i < uncertainty.Count; i++)
        {
            var u = uncertainty[i] ?? throw new ArgumentException($"Example {i} has no uncertainty.", nameof(uncertainty));
            if ((u.Task == TaskKind.Multilabel) != multilabel)
                throw new ArgumentException($"Example {i} has {u.Task.ToName()} uncertainty; this curve needs {(multilabel ? "multilabel" : "single-label")} ones.", nameof(uncertainty));
            if (multilabel && (gold[i] is not bool[] g || predicted[i] is not bool[] p
                || g.Length != u.MeanProbabilities.Count || p.Length != u.MeanProbabilities.Count))
                throw new ArgumentException($"Example {i}: gold and predicted rows need one value per label ({u.MeanProbabilities.Count}).");
        }
    }
}
