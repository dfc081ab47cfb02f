using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Classify.Core.Metrics;
using Classify.Linear.Sparse;

namespace Classify.Linear.ModelSelection;

/// <summary>A model the grid search can fit on a fold and score.</summary>
public interface ISearchEstimator
{
    /// <summary>Fits on <paramref name="x"/> with the targets <paramref name="y"/> (single- or multi-label).</summary>
    void Fit(CsrMatrix x, SearchTargets y, CancellationToken cancellationToken);

    /// <summary>Probabilities, one column per class or label.</summary>
    double[][] PredictProbabilities(CsrMatrix x);
}

/// <summary>
/// Creates the estimator for one candidate. <paramref name="warmStartFrom"/> is the estimator fitted just before on the
/// same fold for the neighbouring values of <see cref="GridSearchOptions.WarmStartParameters"/> (null for the first), so a
/// factory may start from its solution; <paramref name="maxDegreeOfParallelism"/> is the number of threads the fit may use.
/// </summary>
public delegate ISearchEstimator EstimatorFactory(ParameterSet parameters, int maxDegreeOfParallelism, ISearchEstimator? warmStartFrom);

/// <summary>Builds the train and test feature matrices of one fold from their row indices into the training split.</summary>
public delegate (CsrMatrix Train, CsrMatrix Test) FoldFeatureBuilder(int[] trainRows, int[] testRows);

/// <summary>Settings of a <see cref="GridSearch"/> (scikit-learn <c>GridSearchCV</c> names in the docs).</summary>
public sealed record GridSearchOptions
{
    /// <summary>Number of stratified folds (<c>cv</c>).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Shuffle rows before dealing them to folds.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the fold shuffle.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Metric key that ranks candidates (<c>scoring</c>): see <see cref="CrossValidation.Scorer"/>.</summary>
    public string Scoring { get; init; } = MetricKeys.MacroF1;

    /// <summary>Threads for the whole search (<c>n_jobs</c>): (candidate chain × fold) work items run in parallel, one thread each.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Refit the best candidate on the whole training split (<c>refit</c>).</summary>
    public bool Refit { get; init; } = true;

    /// <summary>
    /// Parameters along which a fit may start from its neighbour's solution (default <c>C</c> and <c>class_weight</c>).
    /// Candidates that agree on every other parameter form one chain on each fold, fitted in serpentine order: the first
    /// parameter ascending (numbers by value, other values in grid order), each later one sweeping back and forth, so
    /// consecutive fits differ in one value by one step (C = 0.1 with every class weight, then C = 0.5 with the class weights
    /// in reverse, …). Empty fits every candidate from scratch. Scores are the same either way up to solver tolerance.
    /// </summary>
    public IReadOnlyList<string> WarmStartParameters { get; init; } = ["C", "class_weight"];

    /// <summary>
    /// Once fewer work items are left than threads, give the idle threads to the fits of the items still running, so the
    /// search does not end on one core. Only for estimators whose result does not depend on their thread count: which
    /// items run last depends on scheduling. Off by default; <see cref="LogisticRegressionSearch.Create"/> turns it on for
    /// liblinear's solvers, which fit the classes of one-vs-rest independently, one thread each.
    /// </summary>
    public bool IdleThreadsToLastFits { get; init; }

    /// <summary>Custom folds; null uses <see cref="CrossValidation.StratifiedKFold"/>(Folds, Shuffle, Seed).</summary>
    public FoldSplitter? Splitter { get; init; }

    /// <summary>
    /// Told of every (candidate, split) score as it is computed, one call at a time; returning false stops the search:
    /// work not yet started is skipped, and candidates left without a score on every split get NaN and rank last
    /// (<see cref="GridSearchResult.Stopped"/>). Which items finished first depends on scheduling.
    /// </summary>
    public Func<GridSearchScore, bool>? Scored { get; init; }
}

/// <summary>One computed score of a search.</summary>
/// <param name="Candidate">Index of the candidate in the grid.</param>
/// <param name="Split">The fold (0 for a validation split).</param>
/// <param name="Score">The score (higher is better).</param>
/// <param name="Completed">Scores computed so far, this one included.</param>
public readonly record struct GridSearchScore(int Candidate, int Split, double Score, int Completed);

/// <summary>Progress of a running search: one step per (candidate, fold) fit.</summary>
/// <param name="Completed">Fits finished.</param>
/// <param name="Total">Fits in the whole search (candidates × folds, plus one for the refit).</param>
/// <param name="Elapsed">Time since the search started.</param>
/// <param name="Remaining">Estimated time left, null until the first fit finishes.</param>
/// <param name="Description">What just finished, e.g. <c>fold 3/5 · C=2, penalty=l1</c>.</param>
public readonly record struct GridSearchProgress(int Completed, int Total, TimeSpan Elapsed, TimeSpan? Remaining, string Description);

/// <summary>
/// Exhaustive search over a <see cref="ParameterGrid"/>, like scikit-learn's <c>GridSearchCV</c>: with stratified k-fold
/// cross-validation (<see cref="Fit(CsrMatrix, SearchTargets, IProgress{GridSearchProgress}?, CancellationToken)"/>), or
/// on a predefined validation split (<see cref="FitOnValidation"/>, sklearn's <c>PredefinedSplit</c>, where the best
/// candidate's fit on the training rows is the result and nothing is refitted). Both run the same work items. For
/// k-fold, features are computed once for the training split and the folds select rows of that matrix (as GridSearchCV
/// over a precomputed TF-IDF matrix: the vectorizer's vocabulary and idf then come from the whole training split,
/// including each fold's test rows); pass a <see cref="FoldFeatureBuilder"/> to refit the vectorizer per fold instead.
/// Work items — (chain of candidates along <see cref="GridSearchOptions.WarmStartParameters"/>, split) — run in parallel
/// on all cores, deterministically: the result does not depend on scheduling.
/// </summary>
public sealed class GridSearch
{
    private readonly EstimatorFactory _factory;

    /// <summary>Creates a search over <paramref name="grid"/> with estimators from <paramref name="factory"/>.</summary>
    public GridSearch(EstimatorFactory factory, ParameterGrid grid, GridSearchOptions? options = null)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        Grid = grid ?? throw new ArgumentNullException(nameof(grid));
        Options = options ?? new GridSearchOptions();
        if (Options.Folds < 2) throw new ArgumentException($"Folds must be at least 2, got {Options.Folds}.", nameof(options));
        if (Options.MaxDegreeOfParallelism < 1) throw new ArgumentException("MaxDegreeOfParallelism must be at least 1.", nameof(options));
        MetricKeys.Normalize(Options.Scoring);
    }

    /// <summary>The candidates.</summary>
    public ParameterGrid Grid { get; }

    /// <summary>The settings.</summary>
    public GridSearchOptions Options { get; }

    /// <summary>Searches single-label targets on a precomputed feature matrix (folds select its rows).</summary>
    public GridSearchResult Fit(CsrMatrix x, IReadOnlyList<int> y, int classCount, IProgress<GridSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Fit(x, SearchTargets.SingleLabel(y, classCount), progress, cancellationToken);

    /// <summary>Searches on a precomputed feature matrix (folds select its rows).</summary>
    public GridSearchResult Fit(CsrMatrix x, SearchTargets y, IProgress<GridSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Count) throw new ArgumentException($"y has {y.Count} rows for {x.Rows} rows of features.", nameof(y));
        return Fit(y, (train, test) => (x.SelectRows(train), x.SelectRows(test)), () => x, progress, cancellationToken);
    }

    /// <summary>
    /// Searches with features built per fold by <paramref name="foldFeatures"/> (for example a vectorizer fitted on the fold's
    /// training rows only); <paramref name="refitFeatures"/> gives the matrix of the whole training split for the refit.
    /// </summary>
    public GridSearchResult Fit(SearchTargets y, FoldFeatureBuilder foldFeatures, Func<CsrMatrix> refitFeatures,
        IProgress<GridSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(foldFeatures);
        ArgumentNullException.ThrowIfNull(refitFeatures);
        var folds = (Options.Splitter ?? CrossValidation.StratifiedKFold(Options.Folds, Options.Shuffle, Options.Seed))(y);
        var splits = folds.Select(f => new Lazy<SearchSplit>(() =>
        {
            var (train, test) = foldFeatures(f.TrainIndices, f.TestIndices);
            return new SearchSplit(train, y.Select(f.TrainIndices), test, y.Select(f.TestIndices));
        }, LazyThreadSafetyMode.ExecutionAndPublication)).ToArray();
        return Search(splits, y.LabelCount, Options.Refit ? () => (refitFeatures(), y) : null, keepBest: false, progress, cancellationToken);
    }

    /// <summary>
    /// Searches on a predefined validation split: every candidate is fitted on the training rows and scored on the
    /// validation rows; the best one's fit is <see cref="GridSearchResult.BestEstimator"/> (not refitted, so it never saw
    /// the validation rows). <see cref="GridSearchOptions.Folds"/> and <see cref="GridSearchOptions.Refit"/> do not apply.
    /// </summary>
    public GridSearchResult FitOnValidation(CsrMatrix train, SearchTargets trainY, CsrMatrix validation, SearchTargets validationY,
        IProgress<GridSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Rows != trainY.Count || validation.Rows != validationY.Count)
            throw new ArgumentException("each feature matrix needs one target per row", nameof(trainY));
        if (validation.Rows == 0) throw new ArgumentException("the validation split is empty", nameof(validation));
        var split = new Lazy<SearchSplit>(new SearchSplit(train, trainY, validation, validationY));
        return Search([split], trainY.LabelCount, refit: null, keepBest: true, progress, cancellationToken);
    }

    /// <summary>One split of a search: fit on the train part, score on the test part.</summary>
    private sealed record SearchSplit(CsrMatrix Train, SearchTargets TrainY, CsrMatrix Test, SearchTargets TestY);

    private GridSearchResult Search(IReadOnlyList<Lazy<SearchSplit>> splits, int labelCount, Func<(CsrMatrix X, SearchTargets Y)>? refit, bool keepBest,
        IProgress<GridSearchProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var scorer = CrossValidation.Scorer(Options.Scoring, labelCount);
        int k = splits.Count, n = Grid.Count;
        var chains = BuildChains();
        var scores = new double[n, k];
        for (int c = 0; c < n; c++) for (int f = 0; f < k; f++) scores[c, f] = double.NaN;   // never scored: the search was stopped
        var fitSeconds = new double[n, k];
        int stopped = 0, scoredCount = 0;
        var workItems = chains.SelectMany(chain => Enumerable.Range(0, k).Select(fold => (Chain: chain, Fold: fold)))
            // Longest chains first so the last cores are not left waiting on one long item.
            .OrderByDescending(w => w.Chain.Length).ToArray();
        int total = n * k + (refit is null ? 0 : 1), completed = 0;
        var progressLock = new object();
        // With one split and no refit, the best fit is the result: kept as the search goes (ties to the lower index).
        (int Candidate, double Score, ISearchEstimator? Estimator) kept = (-1, double.NaN, null);

        void Report(string description)
        {
            if (progress == null) return;
            lock (progressLock)
            {
                completed++;
                var elapsed = clock.Elapsed;
                TimeSpan? remaining = completed == 0 ? null : TimeSpan.FromTicks(elapsed.Ticks / completed * (total - completed));
                progress.Report(new GridSearchProgress(completed, total, elapsed, remaining, description));
            }
        }

        void Scored(int candidate, int split, double score)
        {
            if (Options.Scored is not { } listener) return;
            lock (progressLock)
                if (!listener(new GridSearchScore(candidate, split, score, ++scoredCount))) Volatile.Write(ref stopped, 1);
        }

        void Keep(int candidate, double score, ISearchEstimator estimator)
        {
            lock (progressLock)
            {
                bool better = kept.Estimator is null || (!double.IsNaN(score) && (double.IsNaN(kept.Score) || score > kept.Score
                    || (score == kept.Score && candidate < kept.Candidate)));
                if (better) kept = (candidate, score, estimator);
            }
        }

        // One item at a time: Parallel.ForEach over an array deals fixed ranges to the threads up front, and the thread
        // whose range holds the costly items (l1 at large C) then runs on alone while the others idle (measured: 0.9 s of
        // a 5.8 s search on two cores).
        int unfinished = workItems.Length;
        Parallel.ForEach(Partitioner.Create(workItems, EnumerablePartitionerOptions.NoBuffering), new ParallelOptions { MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism, CancellationToken = cancellationToken }, item =>
        {
            var data = splits[item.Fold].Value;
            ISearchEstimator? previous = null;
            foreach (var candidate in item.Chain)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Volatile.Read(ref stopped) == 1) break;
                var watch = Stopwatch.StartNew();
                int threads = Options.IdleThreadsToLastFits
                    ? Math.Max(1, Options.MaxDegreeOfParallelism / Math.Max(1, Volatile.Read(ref unfinished)))
                    : 1;
                var estimator = _factory(Grid[candidate], threads, previous);
                estimator.Fit(data.Train, data.TrainY, cancellationToken);
                fitSeconds[candidate, item.Fold] = watch.Elapsed.TotalSeconds;
                scores[candidate, item.Fold] = scorer(data.TestY, estimator.PredictProbabilities(data.Test));
                if (keepBest) Keep(candidate, scores[candidate, item.Fold], estimator);
                Scored(candidate, item.Fold, scores[candidate, item.Fold]);
                previous = estimator;
                Report(k == 1 ? $"{Grid[candidate]}" : $"fold {item.Fold + 1}/{k} · {Grid[candidate]}");
            }
            Interlocked.Decrement(ref unfinished);
        });

        var result = GridSearchResult.Create(Grid, Options.Scoring, scores, fitSeconds) with { Stopped = stopped == 1 };
        if (keepBest) result = result with { BestEstimator = kept.Estimator };
        if (refit is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (x, y) = refit();
            var watch = Stopwatch.StartNew();
            var best = _factory(result.BestParameters, Options.MaxDegreeOfParallelism, null);
            best.Fit(x, y, cancellationToken);
            result = result with { BestEstimator = best, RefitSeconds = watch.Elapsed.TotalSeconds };
            Report($"refit · {result.BestParameters}");
        }
        return result with { ElapsedSeconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>
    /// Groups candidate indices that differ only in the warm-start parameters, each group in serpentine order over them
    /// (see <see cref="GridSearchOptions.WarmStartParameters"/>).
    /// </summary>
    private int[][] BuildChains()
    {
        var path = (Options.WarmStartParameters ?? []).Where(Grid.Names.Contains).Distinct().ToArray();
        if (path.Length == 0) return Enumerable.Range(0, Grid.Count).Select(i => new[] { i }).ToArray();
        // Rank of each candidate's value of each path parameter: numbers ascending, other values in order of appearance.
        var ranks = new int[path.Length][];
        var radix = new int[path.Length];
        for (int t = 0; t < path.Length; t++)
        {
            var values = Enumerable.Range(0, Grid.Count).Select(i => Grid[i][path[t]]).ToArray();
            var distinct = values.GroupBy(ParameterSet.FormatValue).Select(g => (Text: g.Key, Value: g.First()));
            if (values.All(IsNumber)) distinct = distinct.OrderBy(d => Convert.ToDouble(d.Value, CultureInfo.InvariantCulture));
            var rank = distinct.Select((d, r) => (d.Text, Rank: r)).ToDictionary(d => d.Text, d => d.Rank);
            ranks[t] = values.Select(v => rank[ParameterSet.FormatValue(v)]).ToArray();
            radix[t] = rank.Count;
        }
        long SerpentinePosition(int candidate)
        {
            long position = 0;
            for (int t = 0; t < path.Length; t++)
            {
                int digit = ranks[t][candidate];
                // Each level runs backwards after an odd position of the levels before it.
                if (position % 2 == 1) digit = radix[t] - 1 - digit;
                position = position * radix[t] + digit;
            }
            return position;
        }
        return Enumerable.Range(0, Grid.Count)
            .GroupBy(i => Grid[i].Without(path))
            .Select(g => g.OrderBy(SerpentinePosition).ToArray())
            .ToArray();
    }

    // Numbers, and numbers written as text (a grid read from a config file), order by value.
    private static bool IsNumber(object? value) => value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal
        || (value is string text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
}
