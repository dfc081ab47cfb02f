using Classify.Core.Prediction;
using Classify.Linear.ModelSelection;
using Classify.Linear.Sparse;

namespace Classify.Linear.LogisticRegression;

/// <summary>What a fitted <see cref="LogisticRegressionClassifier"/> models.</summary>
public enum LogisticRegressionMode
{
    /// <summary>Two classes, one coefficient row for class 1 (as sklearn's <c>coef_</c> of shape [1, d]).</summary>
    Binary,
    /// <summary>One binary model per class; probabilities are the sigmoids normalised to sum to 1 (sklearn's OvR rule).</summary>
    OneVsRest,
    /// <summary>One softmax model over all classes.</summary>
    Multinomial,
    /// <summary>One independent binary model per label; probabilities are the per-label sigmoids.</summary>
    Multilabel,
}

/// <summary>
/// Logistic regression on sparse features with scikit-learn's objective and names: binary, multinomial, one-vs-rest and
/// multi-label. Minimises C·Σᵢ sᵢ·lossᵢ + penalty exactly (liblinear's objective: trust-region Newton for l2, newGLMNET for
/// l1; lbfgs's objective: L-BFGS for l2 / no penalty, OWL-QN for l1), so tightly converged
/// fits agree with sklearn's converged solutions to solver precision. Instances are not thread-safe while fitting; a fitted
/// model may be used for prediction from several threads.
/// </summary>
public sealed partial class LogisticRegressionClassifier : ISearchEstimator
{
    private double[][]? _coefficients;
    private double[]? _intercepts;
    private int[] _iterations = [];

    /// <summary>Creates an unfitted classifier.</summary>
    public LogisticRegressionClassifier(LogisticRegressionOptions? options = null)
    {
        Options = options ?? new LogisticRegressionOptions();
        Options.Validate();
    }

    /// <summary>The hyperparameters.</summary>
    public LogisticRegressionOptions Options { get; }

    /// <summary>True once <c>Fit</c> has run (or the model was loaded).</summary>
    public bool IsFitted => _coefficients != null;

    /// <summary>What the fitted model is.</summary>
    public LogisticRegressionMode Mode { get; private set; }

    /// <summary>Number of classes (single-label) or labels (multi-label): the width of <see cref="PredictProbabilities"/>.</summary>
    public int ClassCount { get; private set; }

    /// <summary>Number of input features.</summary>
    public int FeatureCount { get; private set; }

    /// <summary>Coefficient rows (sklearn <c>coef_</c>): one row for <see cref="LogisticRegressionMode.Binary"/>, one per class or label otherwise.</summary>
    public IReadOnlyList<double[]> Coefficients => _coefficients ?? throw NotFitted();

    /// <summary>Intercepts (sklearn <c>intercept_</c>), one per coefficient row; zeros when <c>fit_intercept</c> is false.</summary>
    public IReadOnlyList<double> Intercepts => _intercepts ?? throw NotFitted();

    /// <summary>Solver iterations per underlying model (sklearn <c>n_iter_</c>): one for binary and multinomial, one per class or label otherwise.</summary>
    public IReadOnlyList<int> Iterations => _iterations;

    /// <summary>True when every underlying model met the tolerance before <c>max_iter</c>.</summary>
    public bool Converged { get; private set; }

    /// <summary>
    /// Fits a single-label model. <paramref name="y"/> holds class indices 0..K−1; K is <paramref name="classCount"/>
    /// when given (so that a class missing from a CV fold keeps its column) and max(y)+1 otherwise.
    /// </summary>
    /// <param name="x">Features, one row per sample.</param>
    /// <param name="y">Class index per sample.</param>
    /// <param name="sampleWeight">Optional non-negative weight per sample (multiplies the class weight).</param>
    /// <param name="classCount">Number of classes, at least 2.</param>
    /// <param name="cancellationToken">Checked once per solver iteration.</param>
    /// <returns>This instance.</returns>
    public LogisticRegressionClassifier Fit(CsrMatrix x, IReadOnlyList<int> y, double[]? sampleWeight = null, int? classCount = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Count != x.Rows) throw new ArgumentException($"y has {y.Count} labels for {x.Rows} rows.", nameof(y));
        CheckSampleWeight(sampleWeight, x.Rows);
        int k = classCount ?? (y.Count == 0 ? 0 : y.Max() + 1);
        if (k < 2) throw new ArgumentException($"Logistic regression needs at least 2 classes, got {k}.", nameof(y));
        for (int i = 0; i < y.Count; i++)
            if (y[i] < 0 || y[i] >= k) throw new ArgumentException($"Label {y[i]} of row {i} is outside 0..{k - 1}.", nameof(y));

        var mode = k == 2 && Options.MultiClass != MultiClassMode.Multinomial ? LogisticRegressionMode.Binary
            : Options.MultiClass == MultiClassMode.Multinomial || (Options.MultiClass == MultiClassMode.Auto && Options.Solver == LogisticSolver.Lbfgs)
                ? LogisticRegressionMode.Multinomial
                : LogisticRegressionMode.OneVsRest;
        var labels = y as int[] ?? y.ToArray();
        double c = Options.Penalty == Penalty.None ? 1.0 : Options.C;
        var baseWeight = new double[x.Rows];
        for (int i = 0; i < baseWeight.Length; i++) baseWeight[i] = c * (sampleWeight?[i] ?? 1.0);
        var classWeight = Options.ClassWeight.Compute(labels, k);

        bool warm = Options.WarmStart && IsFitted && Mode == mode && ClassCount == k && FeatureCount == x.Columns;
        if (mode == LogisticRegressionMode.Multinomial)
        {
            var cost = new double[x.Rows];
            for (int i = 0; i < cost.Length; i++) cost[i] = baseWeight[i] * classWeight[labels[i]];
            FitMultinomial(x, labels, k, cost, warm, cancellationToken);
        }
        else
        {
            int problems = mode == LogisticRegressionMode.Binary ? 1 : k;
            var setups = new BinaryProblem[problems];
            for (int p = 0; p < problems; p++)
            {
                int positive = mode == LogisticRegressionMode.Binary ? 1 : p;
                var sign = new double[x.Rows];
                for (int i = 0; i < sign.Length; i++) sign[i] = labels[i] == positive ? 1 : -1;
                setups[p] = new BinaryProblem(sign, OneVsRestCost(labels, positive, mode, baseWeight, classWeight));
            }
            FitBinaryProblems(x, setups, warm, cancellationToken);
        }
        Mode = mode;
        ClassCount = k;
        FeatureCount = x.Columns;
        return this;
    }

    /// <summary>
    /// Fits a multi-label model: one independent binary model per label (column of <paramref name="y"/>).
    /// <c>class_weight</c> applies per label: balanced weighs that label's positives and negatives n/(2·count);
    /// an explicit weight for label j multiplies label j's positive samples.
    /// </summary>
    /// <param name="x">Features, one row per sample.</param>
    /// <param name="y">Per sample, one flag per label (all rows the same length).</param>
    /// <param name="sampleWeight">Optional non-negative weight per sample.</param>
    /// <param name="cancellationToken">Checked once per solver iteration.</param>
    /// <returns>This instance.</returns>
    public LogisticRegressionClassifier Fit(CsrMatrix x, IReadOnlyList<bool[]> y, double[]? sampleWeight = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Count != x.Rows) throw new ArgumentException($"y has {y.Count} rows for {x.Rows} feature rows.", nameof(y));
        if (y.Count == 0) throw new ArgumentException("Cannot fit on zero rows.", nameof(y));
        int labels = y[0].Length;
        if (labels < 1) throw new ArgumentException("Multi-label targets need at least one label.", nameof(y));
        for (int i = 0; i < y.Count; i++)
            if (y[i].Length != labels) throw new ArgumentException($"Row {i} has {y[i].Length} label flags, expected {labels}.", nameof(y));
        CheckSampleWeight(sampleWeight, x.Rows);
        double c = Options.Penalty == Penalty.None ? 1.0 : Options.C;

        var setups = new BinaryProblem[labels];
        for (int j = 0; j < labels; j++)
        {
            var sign = new double[x.Rows];
            int positives = 0;
            for (int i = 0; i < sign.Length; i++) { sign[i] = y[i][j] ? 1 : -1; if (y[i][j]) positives++; }
            double positiveWeight, negativeWeight = 1;
            if (Options.ClassWeight.IsBalanced)
            {
                positiveWeight = positives == 0 ? 0 : x.Rows / (2.0 * positives);
                negativeWeight = positives == x.Rows ? 0 : x.Rows / (2.0 * (x.Rows - positives));
            }
            else positiveWeight = Options.ClassWeight.Weights is { } w && w.TryGetValue(j, out var explicitWeight) ? explicitWeight : 1;
            var cost = new double[x.Rows];
            for (int i = 0; i < cost.Length; i++) cost[i] = c * (sampleWeight?[i] ?? 1.0) * (sign[i] > 0 ? positiveWeight : negativeWeight);
            setups[j] = new BinaryProblem(sign, cost);
        }
        bool warm = Options.WarmStart && IsFitted && Mode == LogisticRegressionMode.Multilabel && ClassCount == labels && FeatureCount == x.Columns;
        FitBinaryProblems(x, setups, warm, cancellationToken);
        Mode = LogisticRegressionMode.Multilabel;
        ClassCount = labels;
        FeatureCount = x.Columns;
        return this;
    }

    /// <summary>
    /// Raw scores xᵢ·w + b (sklearn <c>decision_function</c>): one column for <see cref="LogisticRegressionMode.Binary"/>,
    /// one per class or label otherwise.
    /// </summary>
    public double[][] DecisionFunction(CsrMatrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var coef = _coefficients ?? throw NotFitted();
        var intercepts = _intercepts!;
        if (x.Columns != FeatureCount) throw new ArgumentException($"The model has {FeatureCount} features, the matrix {x.Columns}.", nameof(x));
        var scores = new double[x.Rows][];
        // A small batch (a server's micro-batch) is scored on the calling thread: a few sparse dot products cost less than a fan-out.
        Parallel.For(0, x.Rows, new ParallelOptions { MaxDegreeOfParallelism = x.Rows < 64 ? 1 : Options.MaxDegreeOfParallelism }, i =>
        {
            var row = new double[coef.Length];
            var idx = x.RowIndices(i);
            var val = x.RowValues(i);
            for (int k = 0; k < coef.Length; k++)
            {
                var w = coef[k];
                double z = intercepts[k];
                for (int p = 0; p < idx.Length; p++) z += val[p] * w[idx[p]];
                row[k] = z;
            }
            scores[i] = row;
        });
        return scores;
    }

    /// <summary>
    /// Probabilities, one column per class or label (sklearn <c>predict_proba</c>): softmax for multinomial, [1−σ, σ] for binary,
    /// normalised sigmoids for one-vs-rest, independent sigmoids for multi-label.
    /// </summary>
    public double[][] PredictProbabilities(CsrMatrix x)
    {
        var scores = DecisionFunction(x);
        for (int i = 0; i < scores.Length; i++) scores[i] = ScoresToProbabilities(scores[i]);
        return scores;
    }

    /// <summary>The most probable class per row (single-label models; ties go to the lowest index, as numpy's argmax).</summary>
    public int[] Predict(CsrMatrix x)
    {
        if (Mode == LogisticRegressionMode.Multilabel) throw new InvalidOperationException("Predict returns one class per row; use PredictProbabilities for a multi-label model.");
        var probabilities = PredictProbabilities(x);
        var predictions = new int[probabilities.Length];
        for (int i = 0; i < probabilities.Length; i++)
        {
            int best = 0;
            for (int k = 1; k < probabilities[i].Length; k++) if (probabilities[i][k] > probabilities[i][best]) best = k;
            predictions[i] = best;
        }
        return predictions;
    }

    /// <summary>How <see cref="DecisionFunction"/>'s scores become probabilities in this model's <see cref="Mode"/>.</summary>
    public ScoreLink Link => LinkOf(Mode);

    /// <summary>The link of a mode: logistic for binary, softmax for multinomial, normalised sigmoids for one-vs-rest, sigmoids for multi-label.</summary>
    public static ScoreLink LinkOf(LogisticRegressionMode mode) => mode switch
    {
        LogisticRegressionMode.Binary => ScoreLink.Logistic,
        LogisticRegressionMode.Multinomial => ScoreLink.Softmax,
        LogisticRegressionMode.OneVsRest => ScoreLink.OneVsRest,
        _ => ScoreLink.Sigmoid,
    };

    private double[] ScoresToProbabilities(double[] z) => LinkFunction.Apply(z, Link);

    /// <summary>Per-sample cost C·sᵢ·(class weight) of one class-vs-rest problem, with each solver's class-weight rule.</summary>
    private double[] OneVsRestCost(int[] labels, int positive, LogisticRegressionMode mode, double[] baseWeight, double[] classWeight)
    {
        var cost = new double[labels.Length];
        if (mode == LogisticRegressionMode.Binary)
        {
            for (int i = 0; i < cost.Length; i++) cost[i] = baseWeight[i] * classWeight[labels[i]];
        }
        else if (Options.Solver == LogisticSolver.Liblinear)
        {
            // liblinear weights only the positive class of each class-vs-rest problem.
            for (int i = 0; i < cost.Length; i++) cost[i] = baseWeight[i] * (labels[i] == positive ? classWeight[positive] : 1);
        }
        else if (Options.ClassWeight.IsBalanced)
        {
            // sklearn's lbfgs OvR balances each masked binary problem on its own.
            int positives = labels.Count(l => l == positive);
            double wp = positives == 0 ? 0 : labels.Length / (2.0 * positives);
            double wn = positives == labels.Length ? 0 : labels.Length / (2.0 * (labels.Length - positives));
            for (int i = 0; i < cost.Length; i++) cost[i] = baseWeight[i] * (labels[i] == positive ? wp : wn);
        }
        else
        {
            for (int i = 0; i < cost.Length; i++) cost[i] = baseWeight[i] * classWeight[labels[i]];
        }
        return cost;
    }

    private readonly record struct BinaryProblem(double[] Sign, double[] Cost);

    private void FitBinaryProblems(CsrMatrix x, BinaryProblem[] problems, bool warm, CancellationToken cancellationToken)
    {
        int d = x.Columns;
        bool liblinear = Options.Solver == LogisticSolver.Liblinear;
        double interceptValue = liblinear ? Options.InterceptScaling : 1.0;
        int dimension = d + (Options.FitIntercept ? 1 : 0);
        double[]? l1 = null;
        if (Options.Penalty == Penalty.L1)
        {
            l1 = new double[dimension];
            Array.Fill(l1, 1.0);
            if (Options.FitIntercept && !liblinear) l1[d] = 0;
        }
        int outer = Math.Min(problems.Length, Options.MaxDegreeOfParallelism);
        int inner = Math.Max(1, Options.MaxDegreeOfParallelism / outer);
        var coefficients = new double[problems.Length][];
        var intercepts = new double[problems.Length];
        var iterations = new int[problems.Length];
        var converged = new bool[problems.Length];
        var previous = warm ? _coefficients : null;
        var previousIntercepts = _intercepts;
        // liblinear's own second-order solvers for its objective; the l1 one needs the matrix by column, built once per fit.
        bool newton = liblinear && Options.Penalty != Penalty.None;
        var columns = newton && Options.Penalty == Penalty.L1 ? SparseColumns.For(x, Options.FitIntercept, interceptValue) : null;
        Parallel.For(0, problems.Length, new ParallelOptions { MaxDegreeOfParallelism = outer, CancellationToken = cancellationToken }, p =>
        {
            var (sign, cost) = problems[p];
            var theta = new double[dimension];
            if (previous != null)
            {
                Array.Copy(previous[p], theta, d);
                if (Options.FitIntercept) theta[d] = previousIntercepts![p] / interceptValue;
            }
            MinimizationResult result = default;
            if (newton)
            {
                double eps = LiblinearTolerance(sign);
                result = columns != null
                    ? NewGlmNet.Minimize(columns, sign, cost, theta, eps, Options.MaxIter, cancellationToken)
                    : TrustRegionNewton.Minimize(new L2LogisticNewtonObjective(x, sign, cost, Options.FitIntercept, interceptValue), theta, eps,
                        Options.MaxIter, cancellationToken);
            }
            // Quasi-Newton for the lbfgs objective, and to finish a Newton fit that stopped at the limit of double
            // precision short of a very tight tolerance (never after running out of iterations).
            if (!newton || (!result.Converged && result.Iterations < Options.MaxIter))
            {
                // liblinear's fits stay single-threaded per class even here, so that their result never depends on the
                // thread count (the grid search relies on it); the lbfgs objective splits its rows over the threads.
                var objective = new BinaryLogisticObjective(x, sign, cost, Options.FitIntercept, interceptValue,
                    Options.Penalty == Penalty.L2, penalizeIntercept: liblinear, liblinear ? 1 : inner);
                result = OwlQn.Minimize(objective, theta, l1, Options.Tol, Options.MaxIter, cancellationToken);
            }
            coefficients[p] = theta[..d];
            intercepts[p] = Options.FitIntercept ? theta[d] * interceptValue : 0;
            iterations[p] = result.Iterations;
            converged[p] = result.Converged;
        });
        _coefficients = coefficients;
        _intercepts = intercepts;
        _iterations = iterations;
        Converged = converged.All(c => c);
    }

    /// <summary>
    /// liblinear's stopping tolerance for one binary problem: tol·max(min(#positive, #negative), 1)/#rows, relative to the
    /// gradient norm at w = 0 (so sklearn's tol means the same here as in liblinear).
    /// </summary>
    private double LiblinearTolerance(double[] sign)
    {
        int positives = 0;
        foreach (var s in sign) if (s > 0) positives++;
        return Options.Tol * Math.Max(Math.Min(positives, sign.Length - positives), 1) / sign.Length;
    }

    private void FitMultinomial(CsrMatrix x, int[] y, int k, double[] cost, bool warm, CancellationToken cancellationToken)
    {
        int d = x.Columns;
        var objective = new MultinomialLogisticObjective(x, y, k, cost, Options.FitIntercept, Options.Penalty == Penalty.L2, Options.MaxDegreeOfParallelism);
        var theta = new double[objective.Dimension];
        if (warm)
        {
            for (int c = 0; c < k; c++)
            {
                var row = _coefficients![c];
                for (int j = 0; j < d; j++) theta[j * k + c] = row[j];
                if (Options.FitIntercept) theta[d * k + c] = _intercepts![c];
            }
        }
        double[]? l1 = null;
        if (Options.Penalty == Penalty.L1)
        {
            l1 = new double[objective.Dimension];
            Array.Fill(l1, 1.0, 0, d * k);
        }
        var result = OwlQn.Minimize(objective, theta, l1, Options.Tol, Options.MaxIter, cancellationToken);
        var coefficients = new double[k][];
        var intercepts = new double[k];
        for (int c = 0; c < k; c++)
        {
            var row = new double[d];
            for (int j = 0; j < d; j++) row[j] = theta[j * k + c];
            coefficients[c] = row;
            intercepts[c] = Options.FitIntercept ? theta[d * k + c] : 0;
        }
        _coefficients = coefficients;
        _intercepts = intercepts;
        _iterations = [result.Iterations];
        Converged = result.Converged;
    }

    void ISearchEstimator.Fit(CsrMatrix x, SearchTargets y, CancellationToken cancellationToken)
    {
        if (y.Classes is { } classes) Fit(x, classes, null, y.LabelCount, cancellationToken);
        else Fit(x, y.Indicators(), cancellationToken: cancellationToken);
    }

    /// <summary>Takes a copy of another fitted model's solution, so that a warm-started fit begins where that one ended.</summary>
    internal void CopySolutionFrom(LogisticRegressionClassifier other)
    {
        _coefficients = other._coefficients!.Select(r => (double[])r.Clone()).ToArray();
        _intercepts = (double[])other._intercepts!.Clone();
        _iterations = (int[])other._iterations.Clone();
        Mode = other.Mode;
        ClassCount = other.ClassCount;
        FeatureCount = other.FeatureCount;
        Converged = other.Converged;
    }

    private static void CheckSampleWeight(double[]? sampleWeight, int rows)
    {
        if (sampleWeight == null) return;
        if (sampleWeight.Length != rows) throw new ArgumentException($"sampleWeight has {sampleWeight.Length} entries for {rows} rows.", nameof(sampleWeight));
        foreach (var w in sampleWeight)
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"Sample weights must be finite and non-negative, got {w}.", nameof(sampleWeight));
    }

    private static InvalidOperationException NotFitted() => new("The classifier is not fitted: call Fit or Load first.");
}
