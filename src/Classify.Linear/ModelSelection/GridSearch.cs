using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Classify.Core.Metrics;
using Classify.Linear.Sparse;

namespace Classify.Linear.ModelSelection;

/// <summary>A model the grid search can fit on a fold and score.</summary>
public interface ISearchEstimator
{
    /// <summary>Fits on <paramref name="x"/> with class indices <paramref name="y"/> in 0..<paramref name="classCount"/>−1.</summary>
    void Fit(CsrMatrix x, int[] y, int classCount, CancellationToken cancellationToken);

    /// <summary>Probabilities, one column per class.</summary>
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
}

/// <summary>Progress of a running search: one step per (candidate, fold) fit.</summary>
/// <param name="Completed">Fits finished.</param>
/// <param name="Total">Fits in the whole search (candidates × folds, plus one for the refit).</param>
/// <param name="Elapsed">Time since the search started.</param>
/// <param name="Remaining">Estimated time left, null until the first fit finishes.</param>
/// <param name="Description">What just finished, e.g. <c>fold 3/5 · C=2, penalty=l1</c>.</param>
public readonly record struct GridSearchProgress(int Completed, int Total, TimeSpan Elapsed, TimeSpan? Remaining, string Description);

/// <summary>
/// Exhaustive search over a <see cref="ParameterGrid"/> with stratified k-fold cross-validation, like scikit-learn's
/// <c>GridSearchCV</c>. Features are computed once for the training split and the folds select rows of that matrix
/// (as GridSearchCV over a precomputed TF-IDF matrix: the vectorizer's vocabulary and idf then come from the whole
/// training split, including each fold's test rows). Pass a <see cref="FoldFeatureBuilder"/> to refit the vectorizer per
/// fold instead. Work items — (chain of candidates along <see cref="GridSearchOptions.WarmStartParameters"/>, fold) —
/// run in parallel on all cores, deterministically: the result does not depend on scheduling.
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

    /// <summary>Searches on a precomputed feature matrix (folds select its rows).</summary>
    public GridSearchResult Fit(CsrMatrix x, IReadOnlyList<int> y, int classCount, IProgress<GridSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rows != y.Count) throw new ArgumentException($"y has {y.Count} labels for {x.Rows} rows.", nameof(y));
        return Fit(y, classCount, (train, test) => (x.SelectRows(train), x.SelectRows(test)), () => x, progress, cancellationToken);
    }

    /// <summary>
    /// Searches with features built per fold by <paramref name="foldFeatures"/> (for example a vectorizer fitted on the fold's
    /// training rows only); <paramref name="refitFeatures"/> gives the matrix of the whole training split for the refit.
    /// </summary>
    public GridSearchResult Fit(IReadOnlyList<int> y, int classCount, FoldFeatureBuilder foldFeatures, Func<CsrMatrix> refitFeatures,
        IProgress<GridSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(foldFeatures);
        ArgumentNullException.ThrowIfNull(refitFeatures);
        var clock = Stopwatch.StartNew();
        var labels = y.ToArray();
        var folds = (Options.Splitter ?? CrossValidation.StratifiedKFold(Options.Folds, Options.Shuffle, Options.Seed))(labels, classCount);
        var scorer = CrossValidation.Scorer(Options.Scoring, classCount);
        int k = folds.Count, n = Grid.Count;
        var foldData = folds.Select(f => new Lazy<(CsrMatrix Train, int[] TrainY, CsrMatrix Test, int[] TestY)>(() =>
        {
            var (train, test) = foldFeatures(f.TrainIndices, f.TestIndices);
            return (train, f.TrainIndices.Select(i => labels[i]).ToArray(), test, f.TestIndices.Select(i => labels[i]).ToArray());
        }, LazyThreadSafetyMode.ExecutionAndPublication)).ToArray();

        var chains = BuildChains();
        var scores = new double[n, k];
        var fitSeconds = new double[n, k];
        var workItems = chains.SelectMany(chain => Enumerable.Range(0, k).Select(fold => (Chain: chain, Fold: fold)))
            // Longest chains first so the last cores are not left waiting on one long item.
            .OrderByDescending(w => w.Chain.Length).ToArray();
        int total = n * k + (Options.Refit ? 1 : 0), completed = 0;
        var progressLock = new object();

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

        // One item at a time: Parallel.ForEach over an array deals fixed ranges to the threads up front, and the thread
        // whose range holds the costly items (l1 at large C) then runs on alone while the others idle (measured: 0.9 s of
        // a 5.8 s search on two cores).
        int unfinished = workItems.Length;
        Parallel.ForEach(Partitioner.Create(workItems, EnumerablePartitionerOptions.NoBuffering), new ParallelOptions { MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism, CancellationToken = cancellationToken }, item =>
        {
            var data = foldData[item.Fold].Value;
            ISearchEstimator? previous = null;
            foreach (var candidate in item.Chain)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var watch = Stopwatch.StartNew();
                int threads = Options.IdleThreadsToLastFits
                    ? Math.Max(1, Options.MaxDegreeOfParallelism / Math.Max(1, Volatile.Read(ref unfinished)))
                    : 1;
                var estimator = _factory(Grid[candidate], threads, previous);
                estimator.Fit(data.Train, data.TrainY, classCount, cancellationToken);
                fitSeconds[candidate, item.Fold] = watch.Elapsed.TotalSeconds;
                scores[candidate, item.Fold] = scorer(data.TestY, estimator.PredictProbabilities(data.Test));
                previous = estimator;
                Report($"fold {item.Fold + 1}/{k} · {Grid[candidate]}");
            }
            Interlocked.Decrement(ref unfinished);
        });

        var result = GridSearchResult.Create(Grid, Options.Scoring, scores, fitSeconds);
        if (Options.Refit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var x = refitFeatures();
            var watch = Stopwatch.StartNew();
            var best = _factory(result.BestParameters, Options.MaxDegreeOfParallelism, null);
            best.Fit(x, labels, classCount, cancellationToken);
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
