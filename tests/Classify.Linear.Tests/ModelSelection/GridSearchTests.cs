using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;
using Classify.Linear.Tests.LogisticRegression;

namespace Classify.Linear.Tests.ModelSelection;

public sealed class GridSearchTests
{
    private static ParameterGrid Grid() => new(new Dictionary<string, IReadOnlyList<object?>>
    {
        ["C"] = [0.0001, 0.01, 10.0],
        ["penalty"] = ["l1", "l2"],
        ["class_weight"] = [null, ClassWeight.Explicit(new Dictionary<int, double> { [0] = 5.0 })],
    });

    [Fact]
    public void ParameterGrid_EnumeratesInSklearnOrder()
    {
        var grid = Grid();
        Assert.Equal(12, grid.Count);
        Assert.Equal(["C", "class_weight", "penalty"], grid.Names);
        Assert.Equal("C=0.0001, class_weight=None, penalty=l1", grid[0].ToString());
        Assert.Equal("C=0.0001, class_weight=None, penalty=l2", grid[1].ToString());
        Assert.Equal("C=0.0001, class_weight={0: 5}, penalty=l1", grid[2].ToString());
        Assert.Equal("C=0.01, class_weight=None, penalty=l1", grid[4].ToString());
    }

    [Fact]
    public void StratifiedKFold_PartitionsRows_WithBalancedClasses()
    {
        var y = Enumerable.Range(0, 103).Select(i => i % 7 == 0 ? 2 : i % 2).ToArray();
        var folds = CrossValidation.StratifiedKFold(5, shuffle: true, seed: 42)(SearchTargets.SingleLabel(y, 3));
        Assert.Equal(5, folds.Count);
        Assert.Equal(Enumerable.Range(0, y.Length), folds.SelectMany(f => f.TestIndices).Order());
        foreach (var fold in folds)
        {
            Assert.Equal(y.Length, fold.TrainIndices.Length + fold.TestIndices.Length);
            Assert.Empty(fold.TrainIndices.Intersect(fold.TestIndices));
            for (int c = 0; c < 3; c++)
            {
                double expected = y.Count(v => v == c) / 5.0;
                Assert.InRange(fold.TestIndices.Count(i => y[i] == c), Math.Floor(expected), Math.Ceiling(expected));
            }
        }
        var again = CrossValidation.StratifiedKFold(5, shuffle: true, seed: 42)(SearchTargets.SingleLabel(y, 3));
        Assert.Equal(folds.Select(f => f.TestIndices), again.Select(f => f.TestIndices));
        var other = CrossValidation.StratifiedKFold(5, shuffle: true, seed: 7)(SearchTargets.SingleLabel(y, 3));
        Assert.NotEqual(folds.Select(f => f.TestIndices), other.Select(f => f.TestIndices));
    }

    [Fact]
    public void GridSearch_PicksTheKnownBest_AndWritesTheTable()
    {
        var (all, allY) = LogisticRegressionClassifierTests.Synthetic(450, 3, seed: 21, noise: 0.1);
        // Imbalanced (class 0 is 60%): with a tiny C the intercepts, i.e. the prior, decide every prediction.
        var keep = Enumerable.Range(0, allY.Length).Where(i => allY[i] == 0 || (i / 3) % 3 == 0).ToArray();
        var x = all.SelectRows(keep);
        var y = keep.Select(i => allY[i]).ToArray();
        var progress = new List<GridSearchProgress>();
        var search = LogisticRegressionSearch.Create(Grid(), new LogisticRegressionOptions { Tol = 1e-6 }, new GridSearchOptions { Folds = 3 });
        var result = search.Fit(x, y, 3, new SynchronousProgress(progress.Add));

        // Tiny C cannot move away from the prior (every class scores F1 0 but one); C=10 learns the signal.
        Assert.Equal(10.0, result.BestParameters["C"]);
        Assert.Equal(ClassWeight.None, result.BestParameters["class_weight"] ?? ClassWeight.None);
        Assert.True(result.BestScore > 0.8, $"best score {result.BestScore}");
        Assert.All(result.Candidates.Where(c => (double)c.Parameters["C"]! == 0.0001 && c.Parameters["class_weight"] == null),
            c => Assert.True(c.MeanScore < 0.5));
        Assert.Equal(1, result.Candidates[result.BestIndex].Rank);
        Assert.IsType<LogisticRegressionClassifier>(result.BestEstimator);
        Assert.Equal(12 * 3 + 1, progress.Count);
        Assert.Equal(progress.Count, progress[^1].Total);
        Assert.Equal(progress.Count, progress[^1].Completed);

        var path = Path.Combine(Path.GetTempPath(), $"classify-grid-{Guid.NewGuid():N}.csv");
        try
        {
            result.WriteCsv(path);
            var lines = File.ReadAllLines(path);
            Assert.Equal("rank,param_C,param_class_weight,param_penalty,mean_test_score,std_test_score,split0_test_score,split1_test_score,split2_test_score,mean_fit_seconds", lines[0]);
            Assert.Equal(13, lines.Length);
            Assert.StartsWith("1,10,", lines[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GridSearch_IsDeterministic_AndWarmStartDoesNotChangeScores()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(240, 3, seed: 22, noise: 0.4);
        var grid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>>
        {
            ["C"] = [0.5, 2.0, 8.0],
            ["penalty"] = ["l2"],
            ["class_weight"] = [null, "balanced", ClassWeight.Explicit(new Dictionary<int, double> { [0] = 1.5, [2] = 0.7 })],
        });
        var baseOptions = new LogisticRegressionOptions { Tol = 1e-9 };
        var first = LogisticRegressionSearch.Create(grid, baseOptions, new GridSearchOptions { Folds = 4, Refit = false }).Fit(x, y, 3);
        var second = LogisticRegressionSearch.Create(grid, baseOptions, new GridSearchOptions { Folds = 4, Refit = false }).Fit(x, y, 3);
        var cold = LogisticRegressionSearch.Create(grid, baseOptions, new GridSearchOptions { Folds = 4, Refit = false, WarmStartParameters = [] }).Fit(x, y, 3);
        for (int c = 0; c < grid.Count; c++)
        {
            Assert.Equal(first.Candidates[c].SplitScores, second.Candidates[c].SplitScores);
            Assert.Equal(first.Candidates[c].SplitScores, cold.Candidates[c].SplitScores);
        }
        Assert.Null(first.BestEstimator);
    }

    [Fact]
    public void WarmStartChains_RunSerpentine_OverCAndClassWeight()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(60, 3, seed: 25);
        var grid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>>
        {
            ["C"] = [4.0, "0.5", 1.0],           // out of order, one as text (as from a config): the chain still runs C upwards
            ["class_weight"] = [null, "balanced", "custom"],
            ["penalty"] = ["l1", "l2"],
        });
        var fits = new List<(string Parameters, string? Previous, int Rows)>();
        var search = new GridSearch((parameters, _, previous) => new RecordingEstimator(parameters, (RecordingEstimator?)previous, fits), grid,
            new GridSearchOptions { Folds = 2, Refit = false, MaxDegreeOfParallelism = 1 });
        search.Fit(x, y, 3);

        Assert.Equal(grid.Count * 2, fits.Count);
        string[] expected =
        [
            "C=0.5, class_weight=None", "C=0.5, class_weight=balanced", "C=0.5, class_weight=custom",
            "C=1, class_weight=custom", "C=1, class_weight=balanced", "C=1, class_weight=None",
            "C=4, class_weight=None", "C=4, class_weight=balanced", "C=4, class_weight=custom",
        ];
        // One thread runs the (chain, fold) items one after the other: nine fits each, every fit starting from the one
        // before it, the first from scratch.
        for (int item = 0; item < fits.Count / expected.Length; item++)
        {
            var steps = fits.Skip(item * expected.Length).Take(expected.Length).ToArray();
            Assert.Equal(expected, steps.Select(f => f.Parameters[..f.Parameters.LastIndexOf(',')]));
            Assert.Single(steps.Select(f => f.Parameters[f.Parameters.LastIndexOf(',')..]).Distinct());
            Assert.Null(steps[0].Previous);
            for (int i = 1; i < steps.Length; i++) Assert.Equal(steps[i - 1].Parameters, steps[i].Previous);
        }

        fits.Clear();
        new GridSearch((parameters, _, previous) => new RecordingEstimator(parameters, (RecordingEstimator?)previous, fits), grid,
            new GridSearchOptions { Folds = 2, Refit = false, MaxDegreeOfParallelism = 1, WarmStartParameters = [] }).Fit(x, y, 3);
        Assert.All(fits, f => Assert.Null(f.Previous));
    }

    [Fact]
    public void IdleThreads_GoToTheLastItemsFits_WhenTheEstimatorAllowsIt()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(60, 3, seed: 26);
        var grid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>> { ["C"] = [1.0, 2.0, 3.0] });
        var threads = new List<int>();
        GridSearch Search(int cores, bool idleThreads) => new((parameters, t, _) =>
        {
            lock (threads) threads.Add(t);
            return new RecordingEstimator(parameters, null, []);
        }, grid, new GridSearchOptions { Folds = 2, Refit = false, MaxDegreeOfParallelism = cores, IdleThreadsToLastFits = idleThreads });

        // Two (chain, fold) items on four cores: two threads per fit while both are unfinished, four once one is done.
        Search(4, idleThreads: true).Fit(x, y, 3);
        Assert.Equal(6, threads.Count);
        Assert.Equal(2, threads[0]);
        Assert.All(threads, t => Assert.True(t is 2 or 4, $"{t} threads"));
        threads.Clear();
        Search(4, idleThreads: false).Fit(x, y, 3);
        Assert.All(threads, t => Assert.Equal(1, t));

        // Only liblinear's fits are independent of their thread count; lbfgs objectives group their sums by thread.
        Assert.True(LogisticRegressionSearch.Create(grid, new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear }).Options.IdleThreadsToLastFits);
        Assert.False(LogisticRegressionSearch.Create(grid, new LogisticRegressionOptions { Solver = LogisticSolver.Lbfgs }).Options.IdleThreadsToLastFits);
        var solverGrid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>> { ["C"] = [1.0], ["solver"] = ["liblinear", "lbfgs"] });
        Assert.False(LogisticRegressionSearch.Create(solverGrid, new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear }).Options.IdleThreadsToLastFits);
    }

    [Theory]
    [InlineData(Penalty.L1, 3)]
    [InlineData(Penalty.L2, 3)]
    [InlineData(Penalty.L1, 2)]
    [InlineData(Penalty.L2, 2)]
    public void LiblinearFits_DoNotDependOnTheirThreadCount(Penalty penalty, int classes)
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(200, classes, seed: 27);
        var one = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear, Penalty = penalty, MaxDegreeOfParallelism = 1 }).Fit(x, y);
        var two = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear, Penalty = penalty, MaxDegreeOfParallelism = 2 }).Fit(x, y);
        Assert.Equal(one.Coefficients.Count, two.Coefficients.Count);
        for (int k = 0; k < one.Coefficients.Count; k++) Assert.Equal(one.Coefficients[k], two.Coefficients[k]);
        Assert.Equal(one.Intercepts, two.Intercepts);
    }

    [Fact]
    public void GridSearch_HandsOutWorkItemsOneAtATime()
    {
        // Six candidates × two folds = twelve work items, in the order (C=1, fold 1), (C=1, fold 2), (C=2, fold 1), …
        // Item 4, (C=2, fold 2), waits until item 5, (C=3, fold 1), has been fitted. Handed out one at a time, the other
        // thread takes item 5 and frees item 4 whatever the timing. Dealt out in growing chunks (Parallel.ForEach over an
        // array), items 4 and 5 land in one thread's chunk and the wait times out.
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(41, 2, seed: 24);
        var folds = CrossValidation.StratifiedKFold(2, true, 42)(SearchTargets.SingleLabel(y, 2));
        var grid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>> { ["C"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] });
        var gate = new Gate(waiter: (2.0, folds[1].TrainIndices.Length), awaited: (3.0, folds[0].TrainIndices.Length));
        Assert.NotEqual(folds[0].TrainIndices.Length, folds[1].TrainIndices.Length); // the estimator tells folds apart by size
        var search = new GridSearch((parameters, _, _) => new GatedEstimator((double)parameters["C"]!, gate), grid,
            new GridSearchOptions { Folds = 2, Refit = false, WarmStartParameters = [], MaxDegreeOfParallelism = 2 });
        search.Fit(x, y, 2);
        Assert.True(gate.WaiterWasReleased, "the awaited item never ran while the waiting one held its thread");
    }

    [Fact]
    public void GridSearch_HonoursCancellation()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(300, 3, seed: 23);
        using var cts = new CancellationTokenSource();
        var search = LogisticRegressionSearch.Create(Grid(), options: new GridSearchOptions { Folds = 3 });
        var progress = new SynchronousProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => search.Fit(x, y, 3, progress, cts.Token));
    }

    [Fact]
    public void Scorer_UsesSklearnMetricNames()
    {
        var gold = SearchTargets.SingleLabel([0, 1, 2, 2], 3);
        double[][] p = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]];
        Assert.Equal(0.75, CrossValidation.Scorer("accuracy", 3)(gold, p), 12);
        // Per-class F1: 2/3, 1, 2/3.
        Assert.Equal((2 / 3.0 + 1 + 2 / 3.0) / 3, CrossValidation.Scorer("f1_macro", 3)(gold, p), 12);
        Assert.Equal(0.75, CrossValidation.Scorer("micro_f1", 3)(gold, p), 12);
        Assert.True(CrossValidation.Scorer("log_loss", 3)(gold, p) < 0);
    }

    /// <summary>Makes one (C, training rows) fit wait until another has finished.</summary>
    private sealed class Gate((double C, int Rows) waiter, (double C, int Rows) awaited)
    {
        private readonly ManualResetEventSlim _awaitedDone = new();

        public bool WaiterWasReleased { get; private set; }

        public void Pass(double c, int rows)
        {
            if ((c, rows) == waiter) WaiterWasReleased = _awaitedDone.Wait(TimeSpan.FromSeconds(20));
            else if ((c, rows) == awaited) _awaitedDone.Set();
        }
    }

    /// <summary>Predicts uniform probabilities; fitting passes through the gate.</summary>
    private sealed class GatedEstimator(double c, Gate gate) : ISearchEstimator
    {
        private int _classes;

        public void Fit(Classify.Linear.Sparse.CsrMatrix x, SearchTargets y, CancellationToken cancellationToken)
        {
            _classes = y.LabelCount;
            gate.Pass(c, x.Rows);
        }

        public double[][] PredictProbabilities(Classify.Linear.Sparse.CsrMatrix x) =>
            Enumerable.Range(0, x.Rows).Select(_ => Enumerable.Repeat(1.0 / _classes, _classes).ToArray()).ToArray();
    }

    /// <summary>Records each fit's parameters, the fit it warm-starts from and its training rows; predicts uniformly.</summary>
    private sealed class RecordingEstimator(ParameterSet parameters, RecordingEstimator? previous, List<(string, string?, int)> log) : ISearchEstimator
    {
        private int _classes;

        public void Fit(Classify.Linear.Sparse.CsrMatrix x, SearchTargets y, CancellationToken cancellationToken)
        {
            _classes = y.LabelCount;
            lock (log) log.Add((parameters.ToString(), previous?.Parameters, x.Rows));
        }

        private string Parameters => parameters.ToString();

        public double[][] PredictProbabilities(Classify.Linear.Sparse.CsrMatrix x) =>
            Enumerable.Range(0, x.Rows).Select(_ => Enumerable.Repeat(1.0 / _classes, _classes).ToArray()).ToArray();
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<GridSearchProgress> report) : IProgress<GridSearchProgress>
    {
        public void Report(GridSearchProgress value) => report(value);
    }
}
