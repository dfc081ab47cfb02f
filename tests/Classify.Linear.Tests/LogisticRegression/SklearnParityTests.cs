using System.Text.Json;
using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.LogisticRegression;

/// <summary>Parity with the three scikit-learn fits in shared/fixtures/sklearn/logreg.json.</summary>
public sealed class SklearnParityTests
{
    private static readonly Lazy<(JsonElement Tfidf, JsonElement LogReg)> Fixtures = new(() =>
        (JsonDocument.Parse(File.ReadAllBytes(TestPaths.Fixture("sklearn", "tfidf.json"))).RootElement,
         JsonDocument.Parse(File.ReadAllBytes(TestPaths.Fixture("sklearn", "logreg.json"))).RootElement));

    private static CsrMatrix TrainMatrix()
    {
        var x = Fixtures.Value.Tfidf.GetProperty("X_train");
        var shape = Ints(x.GetProperty("shape"));
        return new CsrMatrix(shape[0], shape[1], Ints(x.GetProperty("indptr")), Ints(x.GetProperty("indices")), Doubles(x.GetProperty("data")));
    }

    private static int[] Labels() => Ints(Fixtures.Value.Tfidf.GetProperty("labels"));

    public static TheoryData<string> FitNames => new() { "liblinear_l2_C2", "liblinear_l1_C2", "lbfgs_multinomial_C1_balanced" };

    private static LogisticRegressionOptions OptionsFor(string name) => name switch
    {
        "liblinear_l2_C2" => new() { C = 2, Penalty = Penalty.L2, Solver = LogisticSolver.Liblinear, Tol = 1e-8, MaxIter = 10000 },
        "liblinear_l1_C2" => new() { C = 2, Penalty = Penalty.L1, Solver = LogisticSolver.Liblinear, Tol = 1e-8, MaxIter = 10000 },
        _ => new() { C = 1, ClassWeight = ClassWeight.Balanced, MultiClass = MultiClassMode.Multinomial, Tol = 1e-8, MaxIter = 10000 },
    };

    [Theory]
    [MemberData(nameof(FitNames))]
    public void Coefficients_MatchConvergedReference(string name)
    {
        var fit = Fixtures.Value.LogReg.GetProperty(name);
        var reference = fit.GetProperty("converged_reference");
        var model = new LogisticRegressionClassifier(OptionsFor(name)).Fit(TrainMatrix(), Labels());

        Assert.True(model.Converged);
        var expected = Matrix(reference.GetProperty("coef_"));
        var expectedIntercept = Doubles(reference.GetProperty("intercept_"));
        var intercepts = model.Intercepts.ToArray();
        if (model.Mode == LogisticRegressionMode.Multinomial)
        {
            // The softmax intercept is identifiable only up to a shift: compare centred values.
            Centre(intercepts);
            Centre(expectedIntercept);
        }
        double coefError = 0, interceptError = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            for (int j = 0; j < expected[k].Length; j++) coefError = Math.Max(coefError, Math.Abs(expected[k][j] - model.Coefficients[k][j]));
            interceptError = Math.Max(interceptError, Math.Abs(expectedIntercept[k] - intercepts[k]));
        }
        Assert.True(coefError < 1e-4, $"max |coef − reference| = {coefError:E2}");
        Assert.True(interceptError < 1e-4, $"max |intercept − reference| = {interceptError:E2}");

        var objective = Objective(name, model, TrainMatrix(), Labels());
        var expectedObjective = reference.GetProperty("objective");
        double refTotal = expectedObjective.ValueKind == JsonValueKind.Array ? Doubles(expectedObjective).Sum() : expectedObjective.GetDouble();
        Assert.True(Math.Abs(objective - refTotal) <= 1e-7 * refTotal, $"objective {objective:R} vs reference {refTotal:R}");
    }

    [Theory]
    [MemberData(nameof(FitNames))]
    public void Probabilities_AndDecisionFunction_MatchSklearn(string name)
    {
        var fit = Fixtures.Value.LogReg.GetProperty(name);
        var x = TrainMatrix();
        var model = new LogisticRegressionClassifier(OptionsFor(name)).Fit(x, Labels());
        var rows = Ints(Fixtures.Value.LogReg.GetProperty("row_indices"));
        var selected = x.SelectRows(rows);

        var probabilities = model.PredictProbabilities(selected);
        AssertClose(Matrix(fit.GetProperty("converged_reference").GetProperty("predict_proba_rows")), probabilities, 1e-5);
        // sklearn's own default-tolerance answers carry solver noise (up to 2.3e-5 on probabilities, 9e-4 on l1 coefficients).
        AssertClose(Matrix(fit.GetProperty("predict_proba_rows")), probabilities, 1e-4);
        AssertClose(Matrix(fit.GetProperty("predict_proba_train")), model.PredictProbabilities(x), 1e-4);
        var decision = model.DecisionFunction(selected);
        var expectedDecision = Matrix(fit.GetProperty("decision_function_rows"));
        if (model.Mode == LogisticRegressionMode.Multinomial)
        {
            foreach (var row in decision) Centre(row);
            foreach (var row in expectedDecision) Centre(row);
        }
        AssertClose(expectedDecision, decision, 2e-3);
        Assert.Equal(Ints(fit.GetProperty("predict_rows")), model.Predict(selected));

        var dense = Matrix(Fixtures.Value.Tfidf.GetProperty("transform_new_documents_dense"));
        AssertClose(Matrix(fit.GetProperty("predict_proba_new_docs")), model.PredictProbabilities(FromDense(dense)), 1e-4);
    }

    [Fact]
    public void L1_IsExactlySparse_LikeLiblinear()
    {
        var model = new LogisticRegressionClassifier(OptionsFor("liblinear_l1_C2")).Fit(TrainMatrix(), Labels());
        var expected = Ints(Fixtures.Value.LogReg.GetProperty("liblinear_l1_C2").GetProperty("n_nonzero_coef_per_class"));
        Assert.Equal(expected, model.Coefficients.Select(row => row.Count(v => v != 0)).ToArray());
    }

    /// <summary>The objective of each fixture, recomputed from the fitted coefficients with the fixture's formula.</summary>
    private static double Objective(string name, LogisticRegressionClassifier model, CsrMatrix x, int[] y)
    {
        var scores = model.DecisionFunction(x);
        if (model.Mode == LogisticRegressionMode.Multinomial)
        {
            var weights = ClassWeight.Balanced.Compute(y, 3);
            double loss = 0, sq = 0;
            for (int i = 0; i < y.Length; i++)
            {
                double max = scores[i].Max();
                double lse = max + Math.Log(scores[i].Sum(z => Math.Exp(z - max)));
                loss += weights[y[i]] * (lse - scores[i][y[i]]);
            }
            foreach (var row in model.Coefficients) sq += row.Sum(v => v * v);
            return 0.5 * sq + 1.0 * loss;
        }
        double total = 0;
        for (int k = 0; k < 3; k++) total += LiblinearObjective.OfClass(model, scores, y, k, 2.0, l1: name.Contains("l1"));
        return total;
    }

    private static void AssertClose(double[][] expected, double[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int k = 0; k < expected[i].Length; k++) worst = Math.Max(worst, Math.Abs(expected[i][k] - actual[i][k]));
        }
        Assert.True(worst <= tolerance, $"max abs difference {worst:E2} > {tolerance:E0}");
    }

    private static void Centre(double[] values)
    {
        double mean = values.Average();
        for (int i = 0; i < values.Length; i++) values[i] -= mean;
    }

    private static CsrMatrix FromDense(double[][] dense)
    {
        var ptr = new List<int> { 0 };
        var idx = new List<int>();
        var val = new List<double>();
        foreach (var row in dense)
        {
            for (int j = 0; j < row.Length; j++) if (row[j] != 0) { idx.Add(j); val.Add(row[j]); }
            ptr.Add(idx.Count);
        }
        return new CsrMatrix(dense.Length, dense[0].Length, ptr.ToArray(), idx.ToArray(), val.ToArray());
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    private static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(Doubles).ToArray();
}
