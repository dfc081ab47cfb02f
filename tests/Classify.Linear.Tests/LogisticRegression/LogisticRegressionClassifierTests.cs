using Classify.Core.IO;
using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.LogisticRegression;

public sealed class LogisticRegressionClassifierTests
{
    /// <summary>
    /// A separable-ish synthetic problem: class c is signalled by features [c·4, c·4+4) plus shared noise features.
    /// </summary>
    internal static (CsrMatrix X, int[] Y) Synthetic(int rows, int classes, int seed, double noise = 0.3)
    {
        var random = new Random(seed);
        int signal = classes * 4, features = signal + 20;
        var ptr = new List<int> { 0 };
        var idx = new List<int>();
        var val = new List<double>();
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = i % classes;
            var row = new SortedDictionary<int, double>();
            // Mostly the class's own features, sometimes another class's (label noise in feature space).
            int source = random.NextDouble() < noise ? random.Next(classes) : y[i];
            for (int t = 0; t < 2; t++) row[source * 4 + random.Next(4)] = 1 + random.NextDouble();
            for (int t = 0; t < 3; t++) row[signal + random.Next(20)] = random.NextDouble();
            foreach (var (j, v) in row) { idx.Add(j); val.Add(v); }
            ptr.Add(idx.Count);
        }
        return (new CsrMatrix(rows, features, ptr.ToArray(), idx.ToArray(), val.ToArray()), y);
    }

    [Fact]
    public void Binary_HasOneCoefficientRow_AndComplementaryProbabilities()
    {
        var (x, y) = Synthetic(200, 2, seed: 1);
        var model = new LogisticRegressionClassifier().Fit(x, y);
        Assert.Equal(LogisticRegressionMode.Binary, model.Mode);
        Assert.Single(model.Coefficients);
        var p = model.PredictProbabilities(x);
        var z = model.DecisionFunction(x);
        for (int i = 0; i < x.Rows; i++)
        {
            Assert.Equal(1.0, p[i][0] + p[i][1], 12);
            Assert.Equal(1 / (1 + Math.Exp(-z[i][0])), p[i][1], 12);
        }
        Assert.True(Accuracy(model.Predict(x), y) > 0.8);
    }

    [Theory]
    [InlineData(MultiClassMode.Multinomial, LogisticRegressionMode.Multinomial)]
    [InlineData(MultiClassMode.Ovr, LogisticRegressionMode.OneVsRest)]
    [InlineData(MultiClassMode.Auto, LogisticRegressionMode.Multinomial)]
    public void Multiclass_ModesLearnTheSignal(MultiClassMode multiClass, LogisticRegressionMode expected)
    {
        var (x, y) = Synthetic(300, 3, seed: 2);
        var model = new LogisticRegressionClassifier(new() { MultiClass = multiClass, C = 10 }).Fit(x, y);
        Assert.Equal(expected, model.Mode);
        Assert.Equal(3, model.Coefficients.Count);
        Assert.True(model.Converged);
        foreach (var row in model.PredictProbabilities(x)) Assert.Equal(1.0, row.Sum(), 12);
        Assert.True(Accuracy(model.Predict(x), y) > 0.75);
    }

    [Fact]
    public void Liblinear_DefaultsToOneVsRest()
    {
        var (x, y) = Synthetic(120, 3, seed: 3);
        var model = new LogisticRegressionClassifier(new() { Solver = LogisticSolver.Liblinear }).Fit(x, y);
        Assert.Equal(LogisticRegressionMode.OneVsRest, model.Mode);
        Assert.Equal(3, model.Iterations.Count);
    }

    [Fact]
    public void Multilabel_FitsOneIndependentModelPerLabel()
    {
        var (x, classes) = Synthetic(240, 3, seed: 4, noise: 0.1);
        // Label 0: class 0; label 1: class 1 or 2; label 2: class 2.
        var y = classes.Select(c => new[] { c == 0, c != 0, c == 2 }).ToArray();
        var model = new LogisticRegressionClassifier(new() { C = 10 }).Fit(x, y);
        Assert.Equal(LogisticRegressionMode.Multilabel, model.Mode);
        var p = model.PredictProbabilities(x);
        var z = model.DecisionFunction(x);
        int correct = 0;
        for (int i = 0; i < x.Rows; i++)
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(1 / (1 + Math.Exp(-z[i][j])), p[i][j], 12);
                if (p[i][j] >= 0.5 == y[i][j]) correct++;
            }
        Assert.True(correct > 0.85 * 3 * x.Rows);

        // Each label's model equals a binary fit on that column alone.
        var single = new LogisticRegressionClassifier(new() { C = 10 }).Fit(x, y.Select(r => r[1] ? 1 : 0).ToArray());
        for (int j = 0; j < x.Columns; j++) Assert.Equal(single.Coefficients[0][j], model.Coefficients[1][j], 6);
    }

    [Fact]
    public void L1_GivesExactZeros_L2_DoesNot()
    {
        var (x, y) = Synthetic(300, 3, seed: 5);
        var l1 = new LogisticRegressionClassifier(new() { Penalty = Penalty.L1, C = 0.5 }).Fit(x, y);
        var l2 = new LogisticRegressionClassifier(new() { Penalty = Penalty.L2, C = 0.5 }).Fit(x, y);
        int zerosL1 = l1.Coefficients.Sum(r => r.Count(v => v == 0));
        int zerosL2 = l2.Coefficients.Sum(r => r.Count(v => v == 0));
        Assert.True(zerosL1 > x.Columns, $"l1 zeros: {zerosL1}");
        Assert.Equal(0, zerosL2);
    }

    [Theory]
    [InlineData(LogisticSolver.Lbfgs, MultiClassMode.Multinomial)]
    [InlineData(LogisticSolver.Liblinear, MultiClassMode.Ovr)]
    public void BalancedClassWeight_EqualsExplicitWeights(LogisticSolver solver, MultiClassMode multiClass)
    {
        var (x, y) = Synthetic(210, 3, seed: 6);
        // Make the classes unbalanced: drop two thirds of class 2.
        var keep = Enumerable.Range(0, y.Length).Where(i => y[i] != 2 || i % 9 == 2).ToArray();
        x = x.SelectRows(keep);
        y = keep.Select(i => y[i]).ToArray();
        var counts = Enumerable.Range(0, 3).Select(c => y.Count(v => v == c)).ToArray();
        var explicitWeights = Enumerable.Range(0, 3).ToDictionary(c => c, c => (double)y.Length / (3.0 * counts[c]));
        var options = new LogisticRegressionOptions { Solver = solver, MultiClass = multiClass, Tol = 1e-8 };
        var balanced = new LogisticRegressionClassifier(options with { ClassWeight = ClassWeight.Balanced }).Fit(x, y);
        var manual = new LogisticRegressionClassifier(options with { ClassWeight = ClassWeight.Explicit(explicitWeights) }).Fit(x, y);
        var plain = new LogisticRegressionClassifier(options).Fit(x, y);
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < x.Columns; j++) Assert.Equal(balanced.Coefficients[k][j], manual.Coefficients[k][j], 7);
        Assert.NotEqual(plain.Intercepts[2], balanced.Intercepts[2], 3);
    }

    [Fact]
    public void SampleWeights_OfTwo_EqualDuplicatedRows()
    {
        var (x, y) = Synthetic(90, 3, seed: 7);
        var weights = Enumerable.Range(0, x.Rows).Select(i => i % 2 == 0 ? 2.0 : 1.0).ToArray();
        var rows = Enumerable.Range(0, x.Rows).SelectMany(i => i % 2 == 0 ? new[] { i, i } : new[] { i }).ToArray();
        var options = new LogisticRegressionOptions { Tol = 1e-9 };
        var weighted = new LogisticRegressionClassifier(options).Fit(x, y, weights);
        var duplicated = new LogisticRegressionClassifier(options).Fit(x.SelectRows(rows), rows.Select(i => y[i]).ToArray());
        for (int j = 0; j < x.Columns; j++) Assert.Equal(duplicated.Coefficients[1][j], weighted.Coefficients[1][j], 6);
    }

    [Fact]
    public void WarmStart_ReachesTheSameSolution_InFewerIterations()
    {
        var (x, y) = Synthetic(400, 3, seed: 8);
        var options = new LogisticRegressionOptions { C = 4, Tol = 1e-7 };
        var cold = new LogisticRegressionClassifier(options).Fit(x, y);
        var previous = new LogisticRegressionClassifier(options with { C = 2 }).Fit(x, y);
        var pathSolution = LogisticRegressionSearchAccess.Refit(previous, options, x, y);
        int coldIterations = cold.Iterations[0];
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < x.Columns; j++) Assert.Equal(cold.Coefficients[k][j], pathSolution.Coefficients[k][j], 4);
        Assert.True(pathSolution.Iterations[0] < coldIterations, $"warm {pathSolution.Iterations[0]} vs cold {coldIterations}");
    }

    [Fact]
    public void Fit_IsDeterministic_WithParallelism()
    {
        var (x, y) = Synthetic(3000, 3, seed: 9);
        var options = new LogisticRegressionOptions { MaxDegreeOfParallelism = 2 };
        var a = new LogisticRegressionClassifier(options).Fit(x, y);
        var b = new LogisticRegressionClassifier(options).Fit(x, y);
        for (int k = 0; k < 3; k++) Assert.Equal(a.Coefficients[k], b.Coefficients[k]);
    }

    [Fact]
    public void Fit_HonoursCancellation()
    {
        var (x, y) = Synthetic(300, 3, seed: 10);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new LogisticRegressionClassifier().Fit(x, y, cancellationToken: cts.Token));
    }

    [Theory]
    [InlineData(MultiClassMode.Multinomial)]
    [InlineData(MultiClassMode.Ovr)]
    public void SaveLoad_RoundTripsExactly(MultiClassMode multiClass)
    {
        var (x, y) = Synthetic(150, 3, seed: 11);
        var model = new LogisticRegressionClassifier(new() { MultiClass = multiClass, ClassWeight = ClassWeight.Explicit(new Dictionary<int, double> { [0] = 1.2, [2] = 0.8 }) }).Fit(x, y);
        var dir = Path.Combine(Path.GetTempPath(), "classify-logreg-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(dir);
            var loaded = LogisticRegressionClassifier.Load(dir);
            Assert.Equal(model.Mode, loaded.Mode);
            Assert.Equal(model.Options, loaded.Options);
            Assert.Equal(model.Iterations, loaded.Iterations);
            var expected = model.PredictProbabilities(x);
            var actual = loaded.PredictProbabilities(x);
            for (int i = 0; i < x.Rows; i++) Assert.Equal(expected[i], actual[i]);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Load_CorruptWeights_NamesTheFile()
    {
        var (x, y) = Synthetic(60, 2, seed: 12);
        var dir = Path.Combine(Path.GetTempPath(), "classify-logreg-" + Guid.NewGuid().ToString("N"));
        try
        {
            new LogisticRegressionClassifier().Fit(x, y).Save(dir);
            var weights = Path.Combine(dir, LogisticRegressionClassifier.WeightsFileName);
            File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..40]);
            var error = Assert.Throws<InputException>(() => LogisticRegressionClassifier.Load(dir));
            Assert.Equal(weights, error.File);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Save_OneHundredThousandFeatures_RoundTrips()
    {
        var x = new CsrMatrix(2, 100_000, [0, 1, 2], [5, 99_999], [1.0, 1.0]);
        var model = new LogisticRegressionClassifier(new() { MultiClass = MultiClassMode.Multinomial }).Fit(x, [0, 2], classCount: 3);
        var dir = Path.Combine(Path.GetTempPath(), "classify-logreg-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(dir);
            var loaded = LogisticRegressionClassifier.Load(dir);
            Assert.Equal(model.Coefficients[2], loaded.Coefficients[2]);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    private static double Accuracy(int[] predicted, int[] gold) => predicted.Zip(gold).Count(p => p.First == p.Second) / (double)gold.Length;
}

/// <summary>Continues a fitted model on new options through the grid-search factory (the public warm-start path).</summary>
internal static class LogisticRegressionSearchAccess
{
    public static LogisticRegressionClassifier Refit(LogisticRegressionClassifier previous, LogisticRegressionOptions options, CsrMatrix x, int[] y)
    {
        var factory = Classify.Linear.ModelSelection.LogisticRegressionSearch.Factory(options);
        var parameters = new Classify.Linear.ModelSelection.ParameterSet([new("C", options.C)]);
        var model = (LogisticRegressionClassifier)factory(parameters, 1, previous);
        return model.Fit(x, y);
    }
}
