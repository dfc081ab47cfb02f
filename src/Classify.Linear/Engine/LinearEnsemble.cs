using Classify.Core.Randomness;
using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;
using Classify.Linear.Sparse;

namespace Classify.Linear.Engine;

/// <summary>
/// The members of <c>linear.ensemble: k</c>: k logistic regressions with the final model's hyper-parameters, each fitted
/// on a bootstrap resample of the training rows over the final model's TF-IDF features, in parallel, warm-started from the
/// final model's coefficients.
/// </summary>
internal static class LinearEnsemble
{
    /// <summary>
    /// The rows of member <paramref name="member"/>'s bootstrap resample: n rows drawn with replacement (stream
    /// <c>"linear-ensemble-member-{member}"</c> of <paramref name="seed"/>), then, for every class (single-label) or label
    /// (multi-label, its positives) the training split has but the draw missed, one more row of it drawn at random, so that
    /// every member sees every class the final model saw.
    /// </summary>
    public static int[] BootstrapRows(SearchTargets targets, ulong seed, int member)
    {
        var random = SeededRandom.ForPurpose(seed, $"linear-ensemble-member-{member}");
        int n = targets.Count;
        var rows = new List<int>(n + 4);
        for (int i = 0; i < n; i++) rows.Add(random.NextInt(n));
        var sets = targets.AsLabelSets();
        var seen = new bool[targets.LabelCount];
        foreach (var r in rows) foreach (var label in sets[r]) seen[label] = true;
        for (int label = 0; label < seen.Length; label++)
        {
            if (seen[label]) continue;
            var having = Enumerable.Range(0, n).Where(i => sets[i].Contains(label)).ToArray();
            if (having.Length > 0) rows.Add(having[random.NextInt(having.Length)]);
        }
        return rows.ToArray();
    }

    /// <summary>
    /// Fits <paramref name="count"/> members with <paramref name="final"/>'s options on bootstrap resamples of
    /// (<paramref name="x"/>, <paramref name="targets"/>), at most <paramref name="parallelism"/> at a time (each member
    /// single-threaded), calling <paramref name="completed"/> with the number of members done after each. Member i depends only on <paramref name="seed"/> and i, never on the scheduling.
    /// <paramref name="warmStart"/> false (the benchmark's reference) starts every solver from zero instead.
    /// </summary>
    public static LogisticRegressionClassifier[] Fit(LogisticRegressionClassifier final, CsrMatrix x, SearchTargets targets, int count, ulong seed,
        int parallelism, Action<int>? completed, CancellationToken cancellationToken, bool warmStart = true)
    {
        var members = new LogisticRegressionClassifier[count];
        var options = final.Options with { WarmStart = warmStart, MaxDegreeOfParallelism = 1 };
        int done = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken }, i =>
        {
            var rows = BootstrapRows(targets, seed, i);
            var member = new LogisticRegressionClassifier(options);
            if (warmStart) member.CopySolutionFrom(final);   // warm start: the solvers begin at the final model's coefficients
            ((ISearchEstimator)member).Fit(x.SelectRows(rows), targets.Select(rows), cancellationToken);
            members[i] = member;
            completed?.Invoke(Interlocked.Increment(ref done));   // called on the fitting thread
        });
        return members;
    }
}
