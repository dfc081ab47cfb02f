using System.Text.Json;
using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.LogisticRegression;

/// <summary>
/// The liblinear-objective solvers (trust-region Newton for l2, newGLMNET for l1): liblinear's stopping rule at the default
/// tolerance, warm starts along C, zero-cost rows, and the column copy the l1 solver works on.
/// </summary>
public sealed class LiblinearSolverTests
{
    private static readonly Lazy<(CsrMatrix X, int[] Y, JsonElement LogReg)> Fixture = new(() =>
    {
        var tfidf = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Fixture("sklearn", "tfidf.json"))).RootElement;
        var logreg = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Fixture("sklearn", "logreg.json"))).RootElement;
        var x = tfidf.GetProperty("X_train");
        var shape = Ints(x.GetProperty("shape"));
        var matrix = new CsrMatrix(shape[0], shape[1], Ints(x.GetProperty("indptr")), Ints(x.GetProperty("indices")), Doubles(x.GetProperty("data")));
        return (matrix, Ints(tfidf.GetProperty("labels")), logreg);
    });

    [Fact]
    public void L2_DefaultTolerance_StopsWhereLiblinearStops()
    {
        var (x, y, logreg) = Fixture.Value;
        var fit = logreg.GetProperty("liblinear_l2_C2");
        var model = new LogisticRegressionClassifier(new LogisticRegressionOptions { C = 2, Solver = LogisticSolver.Liblinear }).Fit(x, y);

        // Same algorithm, same rule: as many Newton iterations as sklearn's n_iter_, and its default-tolerance answer.
        Assert.Equal(Ints(fit.GetProperty("n_iter_")), model.Iterations.ToArray());
        double error = MaxError(Matrix(fit.GetProperty("coef_")), model.Coefficients);
        Assert.True(error < 1e-6, $"max |coef − sklearn default-tol coef| = {error:E2}");
    }

    [Fact]
    public void L1_DefaultTolerance_IsAsAccurateAsLiblinear()
    {
        var (x, y, logreg) = Fixture.Value;
        var fit = logreg.GetProperty("liblinear_l1_C2");
        var model = new LogisticRegressionClassifier(new LogisticRegressionOptions { C = 2, Penalty = Penalty.L1, Solver = LogisticSolver.Liblinear }).Fit(x, y);

        // newGLMNET visits coordinates in random order, and the fixture has identical n-gram columns among which l1 may
        // split a weight any way, so the comparable accuracy is the objective's: sklearn's own default-tolerance fit is
        // 3.7e-9 to 4.5e-8 above the converged optimum of each class.
        var reference = fit.GetProperty("converged_reference");
        var optimum = Doubles(reference.GetProperty("objective"));
        var sklearnGap = Doubles(fit.GetProperty("objective")).Zip(optimum, (a, b) => a - b).ToArray();
        for (int k = 0; k < optimum.Length; k++)
        {
            double gap = LiblinearObjective.OfClass(model, x, y, k, 2.0, l1: true) - optimum[k];
            Assert.True(gap > -1e-9 && gap < 10 * sklearnGap.Max(), $"class {k}: objective − optimum = {gap:E2} (sklearn's {sklearnGap[k]:E2})");
        }
        Assert.True(model.Converged);
        Assert.All(model.Iterations, n => Assert.InRange(n, 1, 3 * Ints(fit.GetProperty("n_iter_")).Max()));
    }

    [Theory]
    [InlineData(Penalty.L2)]
    [InlineData(Penalty.L1)]
    public void WarmStartAlongC_ReachesTheColdSolution(Penalty penalty)
    {
        var (x, y, _) = Fixture.Value;
        var options = new LogisticRegressionOptions { C = 4, Penalty = penalty, Solver = LogisticSolver.Liblinear, Tol = 1e-8, MaxIter = 10000 };
        var cold = new LogisticRegressionClassifier(options).Fit(x, y);
        var previous = new LogisticRegressionClassifier(options with { C = 1, Tol = 1e-4 }).Fit(x, y);
        var warm = LogisticRegressionSearchAccess.Refit(previous, options, x, y);

        Assert.True(cold.Converged);
        Assert.True(warm.Converged);
        // The loss is strictly convex in the scores X·w, so those are unique even where the l1 optimum w is not (the
        // fixture has identical n-gram columns, among which l1 may split a weight any way).
        double error = MaxError(cold.DecisionFunction(x), warm.DecisionFunction(x));
        Assert.True(error < 1e-5, $"max |warm − cold| decision value = {error:E2}");
        if (penalty == Penalty.L2)
            Assert.True(MaxError(cold.Coefficients.ToArray(), warm.Coefficients) < 1e-6);
    }

    [Theory]
    [InlineData(Penalty.L2)]
    [InlineData(Penalty.L1)]
    public void ZeroWeightRows_AreIgnored(Penalty penalty)
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(300, 3, seed: 4);
        var weights = Enumerable.Range(0, y.Length).Select(i => i % 5 == 0 ? 0.0 : 1.0).ToArray();
        var kept = Enumerable.Range(0, y.Length).Where(i => weights[i] > 0).ToArray();
        var options = new LogisticRegressionOptions { C = 3, Penalty = penalty, Solver = LogisticSolver.Liblinear, Tol = 1e-10, MaxIter = 10000 };

        var weighted = new LogisticRegressionClassifier(options).Fit(x, y, weights);
        var dropped = new LogisticRegressionClassifier(options).Fit(x.SelectRows(kept), kept.Select(i => y[i]).ToArray());

        Assert.True(MaxError(dropped.Coefficients.ToArray(), weighted.Coefficients) < 1e-6);
    }

    [Fact]
    public void SparseColumns_HoldTheTransposeAndNoInterceptColumn()
    {
        var (x, _) = LogisticRegressionClassifierTests.Synthetic(50, 3, seed: 5);
        var columns = new SparseColumns(x, fitIntercept: true, interceptValue: 2.5);
        Assert.Equal(x.Columns + 1, columns.Columns);
        Assert.Equal(x.Columns, columns.Features);
        Assert.Equal(x.NonZeros, columns.Values.Length);

        var dense = x.ToDense();
        var rebuilt = new double[x.Rows, x.Columns];
        for (int j = 0; j < columns.Features; j++)
        {
            for (int p = columns.Pointers[j]; p < columns.Pointers[j + 1]; p++)
            {
                if (p > columns.Pointers[j]) Assert.True(columns.RowIndices[p] > columns.RowIndices[p - 1], "rows ascend within a column");
                rebuilt[columns.RowIndices[p], j] = columns.Values[p];
            }
        }
        Assert.Equal(dense, rebuilt);
    }

    private static double MaxError(double[][] expected, IReadOnlyList<double[]> actual)
    {
        double worst = 0;
        for (int k = 0; k < expected.Length; k++)
            for (int j = 0; j < expected[k].Length; j++) worst = Math.Max(worst, Math.Abs(expected[k][j] - actual[k][j]));
        return worst;
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    private static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(Doubles).ToArray();
}
