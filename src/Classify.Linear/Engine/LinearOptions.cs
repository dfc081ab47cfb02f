using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;

namespace Classify.Linear.Engine;

/// <summary>
/// The <c>linear:</c> section of an experiment config:
/// <code>
/// linear:
///   tfidf:  { ngram_range: [1, 2], min_df: 2, max_df: 0.95, max_features: 100000, sublinear_tf: true }   # TfidfVectorizer names
///   logreg: { C: 1.0, penalty: l2, class_weight: balanced }                                              # LogisticRegression names
///   search: { grid: { C: [0.5, 2], class_weight: [none, balanced] }, cv: 5, scoring: macro_f1 }
/// </code>
/// Explicit class weights are written with label names (<c>{negative: 1.2, neutral: 0.8}</c>).
/// </summary>
public sealed record LinearOptions
{
    /// <summary>TF-IDF settings.</summary>
    public required TfidfVectorizerOptions Tfidf { get; init; }
    /// <summary>Logistic-regression settings (the grid varies some of them).</summary>
    public required LogisticRegressionOptions LogReg { get; init; }
    /// <summary>Grid values per parameter name (empty: no search).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<object?>> Grid { get; init; }
    /// <summary>Folds of cross-validation (0 or 1: select on the validation split instead).</summary>
    public int Folds { get; init; } = 5;
    /// <summary>Selection metric key.</summary>
    public string Scoring { get; init; } = MetricKeys.MacroF1;

    private static readonly JsonSerializerOptions StrictJson = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads and validates a <c>linear:</c> section given as JSON (errors name the key, e.g. <c>linear.tfidf.min_df</c>).</summary>
    public static LinearOptions Read(JsonObject section, LabelSchema schema, string? source = null) =>
        Read(new ConfigReader(section, "linear", source), schema);

    /// <summary>Reads and validates the section (errors name the file, line and key, e.g. <c>linear.tfidf.min_df</c>).</summary>
    public static LinearOptions Read(ConfigReader root, LabelSchema schema)
    {
        var tfidf = Bind<TfidfVectorizerOptions>(root, "tfidf", schema: null);
        var logreg = Bind<LogisticRegressionOptions>(root, "logreg", schema);
        // Measured default (docs/benchmarks.md): liblinear's objective, one-vs-rest, is ~3x faster than sklearn's
        // liblinear and as accurate as multinomial L-BFGS on tweets; sklearn's own default (lbfgs) stays one key away.
        if ((root.Raw["logreg"] as JsonObject)?.ContainsKey("solver") != true) logreg = logreg with { Solver = LogisticSolver.Liblinear };
        var search = root.Section("search");
        var grid = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        var gridSection = search.Section("grid");
        foreach (var (name, values) in gridSection.Raw)
        {
            var list = values is JsonArray a ? a.ToList() : [values];
            if (list.Count == 0) throw gridSection.Error(name, "an empty list of values");
            grid[name] = list.Select(v => GridValue(gridSection, name, v, schema)).ToArray();
            gridSection.Node(name);
        }
        var folds = search.Int("cv", 5);
        if (folds < 0) throw search.Error("cv", "must be 0 (select on validation) or at least 2");
        var scoring = search.String("scoring", MetricKeys.MacroF1)!;
        if (!MetricKeys.All.Contains(MetricKeys.Normalize(scoring))) throw search.Error("scoring", $"unknown metric '{scoring}' (known: {string.Join(", ", MetricKeys.All)})");
        search.EnsureOnlyKnownKeys();
        root.EnsureOnlyKnownKeys();
        try
        {
            tfidf.Validate();
            foreach (var candidate in ExpandCandidates(grid)) ModelSelection.LogisticRegressionSearch.Apply(logreg, candidate);
            logreg.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InputException(e.Message, root.Source, root.LineOf(""), root.Path, e);
        }
        return new LinearOptions { Tfidf = tfidf, LogReg = logreg, Grid = grid, Folds = folds, Scoring = MetricKeys.Normalize(scoring) };
    }

    internal static IEnumerable<IEnumerable<KeyValuePair<string, object?>>> ExpandCandidates(IReadOnlyDictionary<string, IReadOnlyList<object?>> grid) =>
        grid.Count == 0 ? [] : new ModelSelection.ParameterGrid(grid);

    private static T Bind<T>(ConfigReader root, string section, LabelSchema? schema) where T : new()
    {
        var node = root.Node(section);
        if (node is null) return new T();
        if (node is not JsonObject obj) throw root.Error(section, "expected a mapping of settings");
        var known = typeof(T).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).OfType<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
            .Where(n => n is not null).Cast<string>().ToArray();
        foreach (var (key, _) in obj)
            if (!known.Contains(key, StringComparer.Ordinal))
                throw root.Error($"{section}.{key}", $"unknown setting (known here: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        var copy = (JsonObject)obj.DeepClone();
        if (schema is not null && copy["class_weight"] is JsonObject names) copy["class_weight"] = LabelNamesToIndices(names, schema, root, $"{section}.class_weight");
        try
        {
            return copy.Deserialize<T>(StrictJson) ?? new T();
        }
        catch (JsonException e)
        {
            var key = e.Path is { Length: > 2 } p ? $"{section}.{p.TrimStart('$', '.')}" : section;
            var error = root.Error(key, e.Message.Split(" Path:")[0]);
            throw new InputException(error.Reason, error.File, error.Line, error.Field, e);
        }
    }

    private static object? GridValue(ConfigReader grid, string name, JsonNode? v, LabelSchema schema)
    {
        switch (v)
        {
            case null: return null;
            case JsonObject o when name == "class_weight":
                var map = LabelNamesToIndices(o, schema, grid, name);
                return ClassWeight.Explicit(map.ToDictionary(kv => int.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture), kv => JsonNumber.ToDouble(kv.Value!)));
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number: return JsonNumber.ToDouble(value);
            case JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False: return value.GetValue<bool>();
            case JsonValue value when value.TryGetValue<string>(out var s): return s.Equals("none", StringComparison.OrdinalIgnoreCase) && name == "class_weight" ? null : s;
            default: throw grid.Error(name, $"unsupported grid value {v.ToJsonString()}");
        }
    }

    private static JsonObject LabelNamesToIndices(JsonObject names, LabelSchema schema, ConfigReader section, string key)
    {
        var result = new JsonObject();
        foreach (var (label, weight) in names)
        {
            int k = schema.IndexOf(label);
            if (k < 0) throw section.Error(key, $"unknown label '{label}' (labels: {string.Join(", ", schema.Labels)})");
            if (weight is not JsonValue w || w.GetValueKind() != JsonValueKind.Number) throw section.Error($"{key}.{label}", "weights must be numbers");
            result[k.ToString(System.Globalization.CultureInfo.InvariantCulture)] = JsonNumber.ToDouble(w);
        }
        return result;
    }
}
