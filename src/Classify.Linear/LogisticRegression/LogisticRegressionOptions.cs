using System.Globalization;
using System.Text.Json.Serialization;

namespace Classify.Linear.LogisticRegression;

/// <summary>The regularisation term (scikit-learn's <c>penalty</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Penalty>))]
public enum Penalty
{
    /// <summary>½‖w‖² (sklearn <c>'l2'</c>, the default).</summary>
    [JsonStringEnumMemberName("l2")] L2,
    /// <summary>‖w‖₁: sparse coefficients, many exactly zero (sklearn <c>'l1'</c>).</summary>
    [JsonStringEnumMemberName("l1")] L1,
    /// <summary>No penalty (sklearn <c>None</c> / <c>'none'</c>); <see cref="LogisticRegressionOptions.C"/> is ignored.</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>How more than two classes are handled (scikit-learn's <c>multi_class</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MultiClassMode>))]
public enum MultiClassMode
{
    /// <summary>Multinomial for 3+ classes with <see cref="LogisticSolver.Lbfgs"/>, one-vs-rest with <see cref="LogisticSolver.Liblinear"/> (sklearn's rule).</summary>
    [JsonStringEnumMemberName("auto")] Auto,
    /// <summary>One independent binary model per class; probabilities are the sigmoids normalised to sum to 1.</summary>
    [JsonStringEnumMemberName("ovr")] Ovr,
    /// <summary>One softmax model over all classes.</summary>
    [JsonStringEnumMemberName("multinomial")] Multinomial,
}

/// <summary>
/// Which scikit-learn solver's <em>objective</em> to reproduce; the choice decides how the intercept and class weights enter
/// the objective and which algorithm minimises it: liblinear's own (trust-region Newton for l2, newGLMNET for l1) or the
/// in-house quasi-Newton code (L-BFGS for l2 / none, OWL-QN for l1) for lbfgs.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<LogisticSolver>))]
public enum LogisticSolver
{
    /// <summary>
    /// sklearn's <c>lbfgs</c> / <c>saga</c> objective: the intercept is not penalised. Also accepts l1 (sklearn would need
    /// <c>saga</c> for that). Multinomial by default for 3+ classes.
    /// </summary>
    [JsonStringEnumMemberName("lbfgs")] Lbfgs,
    /// <summary>
    /// sklearn's <c>liblinear</c> objective: the intercept is an extra feature of value <see cref="LogisticRegressionOptions.InterceptScaling"/>
    /// and is penalised like any weight; multi-class is always one-vs-rest, and in each class-vs-rest problem the class
    /// weight multiplies the class's own samples only (the rest keep weight 1), as liblinear does.
    /// </summary>
    [JsonStringEnumMemberName("liblinear")] Liblinear,
}

/// <summary>
/// Per-class weights (scikit-learn's <c>class_weight</c>): none, <c>balanced</c> (n_samples / (n_classes · bincount(y))),
/// or an explicit map from class index to weight (classes not in the map weigh 1).
/// </summary>
[JsonConverter(typeof(ClassWeightJsonConverter))]
public sealed record ClassWeight
{
    private ClassWeight(bool balanced, IReadOnlyDictionary<int, double>? weights)
    {
        IsBalanced = balanced;
        Weights = weights;
    }

    /// <summary>Every sample weighs 1 (sklearn <c>None</c>).</summary>
    public static ClassWeight None { get; } = new(false, null);

    /// <summary>Weights inversely proportional to class frequency (sklearn <c>'balanced'</c>).</summary>
    public static ClassWeight Balanced { get; } = new(true, null);

    /// <summary>Explicit weights by class index (sklearn's dict form).</summary>
    public static ClassWeight Explicit(IReadOnlyDictionary<int, double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (label, weight) in weights)
            if (!(weight >= 0) || double.IsInfinity(weight))
                throw new ArgumentOutOfRangeException(nameof(weights), $"Class weight for class {label} must be a finite non-negative number, got {weight}.");
        return new ClassWeight(false, new SortedDictionary<int, double>(weights.ToDictionary(p => p.Key, p => p.Value)));
    }

    /// <summary>True for <see cref="Balanced"/>.</summary>
    public bool IsBalanced { get; }

    /// <summary>The explicit map, or null for <see cref="None"/> and <see cref="Balanced"/>.</summary>
    public IReadOnlyDictionary<int, double>? Weights { get; }

    /// <summary>
    /// The weight of each of <paramref name="classCount"/> classes given the labels <paramref name="y"/> (sklearn's
    /// <c>compute_class_weight</c>; a class with no samples gets weight 0 under <see cref="Balanced"/>, which never matters).
    /// </summary>
    public double[] Compute(IReadOnlyList<int> y, int classCount)
    {
        var weights = new double[classCount];
        if (IsBalanced)
        {
            var counts = new int[classCount];
            foreach (var label in y) counts[label]++;
            for (int k = 0; k < classCount; k++) weights[k] = counts[k] == 0 ? 0 : (double)y.Count / (classCount * (double)counts[k]);
            return weights;
        }
        Array.Fill(weights, 1.0);
        if (Weights != null)
            foreach (var (label, weight) in Weights)
                if (label >= 0 && label < classCount) weights[label] = weight;
        return weights;
    }

    /// <summary>Two class weights are equal when they weigh every class the same way.</summary>
    public bool Equals(ClassWeight? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <summary>sklearn-style text: <c>None</c>, <c>balanced</c> or <c>{0: 1.2, 1: 0.8}</c>.</summary>
    public override string ToString() =>
        IsBalanced ? "balanced"
        : Weights == null ? "None"
        : "{" + string.Join(", ", Weights.Select(p => $"{p.Key}: {p.Value.ToString("R", CultureInfo.InvariantCulture)}")) + "}";
}

/// <summary>Reads and writes <see cref="ClassWeight"/> as JSON <c>null</c>, <c>"balanced"</c> or <c>{"0": 1.2, "2": 0.8}</c>.</summary>
internal sealed class ClassWeightJsonConverter : JsonConverter<ClassWeight>
{
    public override bool HandleNull => true;

    public override ClassWeight Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case System.Text.Json.JsonTokenType.Null:
                return ClassWeight.None;
            case System.Text.Json.JsonTokenType.String:
                var text = reader.GetString();
                if (string.Equals(text, "balanced", StringComparison.OrdinalIgnoreCase)) return ClassWeight.Balanced;
                if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase)) return ClassWeight.None;
                throw new System.Text.Json.JsonException($"class_weight must be null, \"balanced\" or an object, got \"{text}\".");
            case System.Text.Json.JsonTokenType.StartObject:
                var map = new Dictionary<int, double>();
                while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    if (!int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var label))
                        throw new System.Text.Json.JsonException($"class_weight keys must be class indices, got \"{key}\".");
                    reader.Read();
                    map[label] = reader.GetDouble();
                }
                return ClassWeight.Explicit(map);
            default:
                throw new System.Text.Json.JsonException($"class_weight must be null, \"balanced\" or an object, got {reader.TokenType}.");
        }
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, ClassWeight value, System.Text.Json.JsonSerializerOptions options)
    {
        if (value.IsBalanced) writer.WriteStringValue("balanced");
        else if (value.Weights == null) writer.WriteNullValue();
        else
        {
            writer.WriteStartObject();
            foreach (var (label, weight) in value.Weights) writer.WriteNumber(label.ToString(CultureInfo.InvariantCulture), weight);
            writer.WriteEndObject();
        }
    }
}

/// <summary>
/// Hyperparameters of <see cref="LogisticRegressionClassifier"/>, named as in scikit-learn's <c>LogisticRegression</c>.
/// The objective is sklearn's: C·Σᵢ sᵢ·lossᵢ + penalty, with penalty ½‖w‖² (l2) or ‖w‖₁ (l1).
/// </summary>
public sealed record LogisticRegressionOptions
{
    /// <summary>The regularisation term.</summary>
    [JsonPropertyName("penalty")] public Penalty Penalty { get; init; } = Penalty.L2;

    /// <summary>Inverse regularisation strength; larger C fits the training data more closely.</summary>
    [JsonPropertyName("C")] public double C { get; init; } = 1.0;

    /// <summary>Per-class weights.</summary>
    [JsonPropertyName("class_weight")] public ClassWeight ClassWeight { get; init; } = ClassWeight.None;

    /// <summary>Whether to fit intercepts.</summary>
    [JsonPropertyName("fit_intercept")] public bool FitIntercept { get; init; } = true;

    /// <summary>Value of the synthetic intercept feature under <see cref="LogisticSolver.Liblinear"/> (ignored otherwise).</summary>
    [JsonPropertyName("intercept_scaling")] public double InterceptScaling { get; init; } = 1.0;

    /// <summary>
    /// Stopping tolerance. With <see cref="LogisticSolver.Liblinear"/> it means what it means to liblinear: a binary fit has
    /// converged when ‖∇f(w)‖₂ (l2) or the l1 norm of the minimum-norm subgradient (l1) is at most
    /// tol·max(min(#pos, #neg), 1)/#rows times its value at w = 0. With <see cref="LogisticSolver.Lbfgs"/>: when the largest
    /// entry of the (pseudo-)gradient is at most <c>tol</c> times its value at zero coefficients. 1e-4 matches sklearn's
    /// default accuracy in practice.
    /// </summary>
    [JsonPropertyName("tol")] public double Tol { get; init; } = 1e-4;

    /// <summary>
    /// Maximum iterations per model: Newton iterations with <see cref="LogisticSolver.Liblinear"/> (as liblinear counts them),
    /// quasi-Newton iterations (one data pass each, plus line-search retries) with <see cref="LogisticSolver.Lbfgs"/>, which
    /// is why the default is larger than sklearn's 100.
    /// </summary>
    [JsonPropertyName("max_iter")] public int MaxIter { get; init; } = 1000;

    /// <summary>How more than two classes are handled.</summary>
    [JsonPropertyName("multi_class")] public MultiClassMode MultiClass { get; init; } = MultiClassMode.Auto;

    /// <summary>Whose objective to reproduce (see <see cref="LogisticSolver"/>).</summary>
    [JsonPropertyName("solver")] public LogisticSolver Solver { get; init; } = LogisticSolver.Lbfgs;

    /// <summary>Start the next <see cref="LogisticRegressionClassifier.Fit(Sparse.CsrMatrix, IReadOnlyList{int}, double[], int?, CancellationToken)"/> from the current coefficients when the shapes agree.</summary>
    [JsonPropertyName("warm_start")] public bool WarmStart { get; init; }

    /// <summary>Threads used by one fit (classes in parallel for one-vs-rest and multi-label, row blocks otherwise). sklearn's <c>n_jobs</c>.</summary>
    [JsonPropertyName("n_jobs")] public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!(C > 0) || double.IsInfinity(C)) throw new ArgumentException($"C must be a positive finite number, got {C}.", nameof(C));
        if (!(Tol > 0)) throw new ArgumentException($"tol must be positive, got {Tol}.", nameof(Tol));
        if (MaxIter < 1) throw new ArgumentException($"max_iter must be at least 1, got {MaxIter}.", nameof(MaxIter));
        if (!(InterceptScaling > 0)) throw new ArgumentException($"intercept_scaling must be positive, got {InterceptScaling}.", nameof(InterceptScaling));
        if (MaxDegreeOfParallelism < 1) throw new ArgumentException($"n_jobs must be at least 1, got {MaxDegreeOfParallelism}.", nameof(MaxDegreeOfParallelism));
        if (Solver == LogisticSolver.Liblinear && MultiClass == MultiClassMode.Multinomial)
            throw new ArgumentException("The liblinear objective is one-vs-rest only; use solver lbfgs for multinomial.", nameof(MultiClass));
        if (Solver == LogisticSolver.Liblinear && Penalty == Penalty.None)
            throw new ArgumentException("The liblinear objective needs penalty l1 or l2.", nameof(Penalty));
    }

    /// <summary>Parses a penalty name: <c>l2</c>, <c>l1</c>, <c>none</c> (case-insensitive).</summary>
    public static Penalty ParsePenalty(string name) => name.Trim().ToLowerInvariant() switch
    {
        "l2" => Penalty.L2,
        "l1" => Penalty.L1,
        "none" or "null" or "" => Penalty.None,
        _ => throw new FormatException($"Unknown penalty '{name}': expected l2, l1 or none."),
    };

    /// <summary>The sklearn name of a penalty.</summary>
    public static string PenaltyName(Penalty penalty) => penalty switch
    {
        Penalty.L2 => "l2",
        Penalty.L1 => "l1",
        _ => "none",
    };
}
