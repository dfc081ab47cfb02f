using System.Globalization;
using Classify.Linear.LogisticRegression;

namespace Classify.Linear.ModelSelection;

/// <summary>Plugs <see cref="LogisticRegressionClassifier"/> into <see cref="GridSearch"/> with sklearn parameter names.</summary>
public static class LogisticRegressionSearch
{
    /// <summary>
    /// A factory that applies each candidate's parameters on top of <paramref name="baseOptions"/> and, when the search
    /// passes the previous fit of a warm-start chain, starts from its coefficients.
    /// </summary>
    public static EstimatorFactory Factory(LogisticRegressionOptions? baseOptions = null) => (parameters, threads, previous) =>
    {
        var options = Apply(baseOptions ?? new LogisticRegressionOptions(), parameters) with { MaxDegreeOfParallelism = threads };
        var model = new LogisticRegressionClassifier(options with { WarmStart = previous != null });
        if (previous is LogisticRegressionClassifier { IsFitted: true } fitted) model.CopySolutionFrom(fitted);
        return model;
    };

    /// <summary>
    /// A grid search over logistic-regression hyperparameters. With liblinear's solvers throughout (the base options'
    /// solver, not varied by the grid), whose fits do not depend on their thread count, the last work items' fits get the
    /// idle threads (<see cref="GridSearchOptions.IdleThreadsToLastFits"/> is set, whatever <paramref name="options"/> say: their
    /// results are the same on any number of threads).
    /// </summary>
    public static GridSearch Create(ParameterGrid grid, LogisticRegressionOptions? baseOptions = null, GridSearchOptions? options = null)
    {
        options ??= new GridSearchOptions();
        bool liblinear = (baseOptions ?? new LogisticRegressionOptions()).Solver == LogisticSolver.Liblinear && !grid.Names.Contains("solver");
        return new(Factory(baseOptions), grid, liblinear ? options with { IdleThreadsToLastFits = true } : options);
    }

    /// <summary>
    /// Returns <paramref name="options"/> with the named parameters set: <c>C</c>, <c>penalty</c>, <c>class_weight</c>,
    /// <c>fit_intercept</c>, <c>intercept_scaling</c>, <c>tol</c>, <c>max_iter</c>, <c>multi_class</c>, <c>solver</c>.
    /// Values may be typed (double, <see cref="Penalty"/>, <see cref="ClassWeight"/>, …) or strings as in a YAML config.
    /// </summary>
    public static LogisticRegressionOptions Apply(LogisticRegressionOptions options, IEnumerable<KeyValuePair<string, object?>> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            options = name switch
            {
                "C" => options with { C = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
                "penalty" => options with { Penalty = value switch { Penalty p => p, null => Penalty.None, _ => LogisticRegressionOptions.ParsePenalty(value.ToString()!) } },
                "class_weight" => options with { ClassWeight = ToClassWeight(value) },
                "fit_intercept" => options with { FitIntercept = Convert.ToBoolean(value, CultureInfo.InvariantCulture) },
                "intercept_scaling" => options with { InterceptScaling = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
                "tol" => options with { Tol = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
                "max_iter" => options with { MaxIter = Convert.ToInt32(value, CultureInfo.InvariantCulture) },
                "multi_class" => options with { MultiClass = value is MultiClassMode m ? m : Enum.Parse<MultiClassMode>(value?.ToString() ?? "auto", ignoreCase: true) },
                "solver" => options with { Solver = value is LogisticSolver s ? s : Enum.Parse<LogisticSolver>(value?.ToString() ?? "lbfgs", ignoreCase: true) },
                _ => throw new ArgumentException($"Unknown logistic-regression parameter '{name}'. Expected C, penalty, class_weight, fit_intercept, intercept_scaling, tol, max_iter, multi_class or solver.", nameof(parameters)),
            };
        }
        options.Validate();
        return options;
    }

    private static ClassWeight ToClassWeight(object? value) => value switch
    {
        null => ClassWeight.None,
        ClassWeight w => w,
        IReadOnlyDictionary<int, double> map => ClassWeight.Explicit(map),
        string s when s.Equals("balanced", StringComparison.OrdinalIgnoreCase) => ClassWeight.Balanced,
        string s when s.Equals("none", StringComparison.OrdinalIgnoreCase) || s.Length == 0 => ClassWeight.None,
        _ => throw new ArgumentException($"class_weight must be None, 'balanced' or a map from class index to weight, got '{value}'."),
    };
}
