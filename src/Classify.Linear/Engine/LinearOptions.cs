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
///   ensemble: 10      # optional: 10 more models on bootstrap resamples, for epistemic uncertainty
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
    /// <summary>
    /// Folds of cross-validation for single-label tasks: 0 selects on the validation split instead, 1 is not allowed
    /// (it would silently mean the validation split), 2 or more are stratified folds of the training split.
    /// </summary>
    public int Folds { get; init; } = 5;
    /// <summary>Selection metric key.</summary>
    public string Scoring { get; init; } = MetricKeys.MacroF1;

    /// <summary>The most ensemble members <c>linear.ensemble</c> accepts (100).</summary>
    public const int MaxEnsembleMembers = 100;

    /// <summary>
    /// <c>ensemble: k</c>: the number of extra models fitted on bootstrap resamples of the training split with the chosen
    /// hyper-parameters (2 … <see cref="MaxEnsembleMembers"/>), whose probabilities give the epistemic uncertainty; 0 (the
    /// key absent, the default) fits the single model only. The predictions stay the single model's either way.
    /// </summary>
    public int Ensemble { get; init; }

    /// <summary>
    /// True when <c>tfidf.min_df</c> is the zero-config recipe's (the config left it out): on a corpus so small that no
    /// term is in two training documents the trainer then falls back to scikit-learn's <c>min_df: 1</c>, with a warning,
    /// instead of failing on a value nobody wrote.
    /// </summary>
    internal bool MinDfFromRecipe { get; init; }

    /// <summary>True when a union's <c>tfidf.char_min_df</c> follows a recipe <c>min_df</c> (neither key written): it falls back with it.</summary>
    internal bool CharMinDfFromRecipe { get; init; }

    /// <summary>Where the section was read from (file, lines, key path), for errors found later against the data.</summary>
    internal ConfigReader? Location { get; init; }

    /// <summary>An input error for <c>linear.&lt;key&gt;</c>, located in the config file when the options came from one.</summary>
    internal InputException Error(string key, string reason) => Location?.Error(key, reason) ?? new InputException(reason, field: $"linear.{key}");

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
        (tfidf, logreg) = WithRecipeDefaults(tfidf, logreg, root.Raw["tfidf"] as JsonObject, root.Raw["logreg"] as JsonObject);
        // a word + character union records its character block's resolved analyzer and min_df (run.json, the model)
        if (tfidf.IsUnion) tfidf = tfidf with { CharAnalyzer = tfidf.CharAnalyzer ?? TfidfAnalyzer.Char, CharMinDf = tfidf.CharMinDf ?? tfidf.MinDf };
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
        if (folds is < 0 or 1) throw search.Error("cv", $"cv must be 0 (select on the validation split) or at least 2 (folds of the training split), found {folds}");
        var scoring = search.String("scoring", MetricKeys.MacroF1)!;
        var scoringKey = ScoringKey(search, scoring, schema);
        search.EnsureOnlyKnownKeys();
        var ensemble = root.NullableInt("ensemble");
        if (ensemble is { } k && k is < 2 or > MaxEnsembleMembers)
            throw root.Error("ensemble", $"ensemble must be a whole number of members from 2 to {MaxEnsembleMembers}, found {k}" +
                                         (k == 1 ? " (leave the key out for the single model)" : ""));
        root.EnsureOnlyKnownKeys();
        try
        {
            tfidf.Validate();
        }
        catch (InputException e) when (e.File is null)
        {
            throw new InputException(e.Reason, root.SourceOf($"tfidf.{e.Field}"), root.LineOf($"tfidf.{e.Field}"), e.Field is null ? $"{root.Path}.tfidf" : $"{root.Path}.tfidf.{e.Field}", e);
        }
        CheckDocumentFrequencies(tfidf, root);
        CheckLogReg(logreg, grid, root);
        return new LinearOptions
        {
            Tfidf = tfidf, LogReg = logreg, Grid = grid, Folds = folds, Scoring = scoringKey, Ensemble = ensemble ?? 0, Location = root,
            MinDfFromRecipe = (root.Raw["tfidf"] as JsonObject)?.ContainsKey("min_df") != true,
            CharMinDfFromRecipe = tfidf.IsUnion && (root.Raw["tfidf"] as JsonObject)?.ContainsKey("char_min_df") != true
                                  && (root.Raw["tfidf"] as JsonObject)?.ContainsKey("min_df") != true,
        };
    }

    /// <summary>The zero-config recipe's n-gram range (a key left out of <c>linear.tfidf</c> takes it): word 1–2-grams.</summary>
    public static readonly NgramRange DefaultNgramRange = new(1, 2);
    /// <summary>The zero-config recipe's <c>min_df</c>: terms in at least 2 training documents.</summary>
    public static readonly DocumentFrequency DefaultMinDf = DocumentFrequency.Count(2);
    /// <summary>
    /// The zero-config recipe's <c>token_pattern</c>: words of any length and every punctuation mark as a token of its own
    /// (scikit-learn's default keeps words of two or more characters only, so "?" and "!" and "I" are invisible to it).
    /// </summary>
    public const string DefaultTokenPattern = @"(?u)\b\w+\b|[^\w\s]";
    /// <summary>The zero-config recipe's <c>sublinear_tf</c>: 1 + log(tf).</summary>
    public const bool DefaultSublinearTf = true;
    /// <summary>The zero-config recipe's inverse regularisation strength <c>C</c>.</summary>
    public const double DefaultC = 2.0;
    /// <summary>The zero-config recipe's <c>class_weight</c>: balanced.</summary>
    public static ClassWeight DefaultClassWeight => ClassWeight.Balanced;

    /// <summary>
    /// The zero-config recipe, key by key: each of <c>tfidf.ngram_range</c>, <c>tfidf.min_df</c>, <c>tfidf.token_pattern</c>, <c>tfidf.sublinear_tf</c>,
    /// <c>logreg.C</c> and <c>logreg.class_weight</c> that the config leaves out takes the recipe's value instead of
    /// scikit-learn's; a key the config gives keeps the value given (<c>ngram_range: [1, 1]</c> is unigrams, as written).
    /// A grid over <c>C</c> or <c>class_weight</c> still decides those for the final model.
    /// </summary>
    private static (TfidfVectorizerOptions, LogisticRegressionOptions) WithRecipeDefaults(TfidfVectorizerOptions tfidf, LogisticRegressionOptions logreg,
        JsonObject? tfidfSection, JsonObject? logregSection)
    {
        bool Given(JsonObject? section, string key) => section?.ContainsKey(key) == true;
        if (!Given(tfidfSection, "ngram_range")) tfidf = tfidf with { NgramRange = DefaultNgramRange };
        // a max_df written as a count below 2 keeps scikit-learn's min_df 1, rather than an error about a value nobody wrote
        if (!Given(tfidfSection, "min_df") && tfidf.MaxDf is not { IsFraction: false, Value: < 2 }) tfidf = tfidf with { MinDf = DefaultMinDf };
        if (!Given(tfidfSection, "token_pattern")) tfidf = tfidf with { TokenPattern = DefaultTokenPattern };
        if (!Given(tfidfSection, "sublinear_tf")) tfidf = tfidf with { SublinearTf = DefaultSublinearTf };
        if (!Given(logregSection, "C")) logreg = logreg with { C = DefaultC };
        if (!Given(logregSection, "class_weight")) logreg = logreg with { ClassWeight = DefaultClassWeight };
        return (tfidf, logreg);
    }

    /// <summary>The selection metric, known and meaningful for the task (samples_f1 and hamming_loss exist only for multilabel).</summary>
    private static string ScoringKey(ConfigReader search, string scoring, LabelSchema schema)
    {
        string key;
        try { key = MetricKeys.Normalize(scoring); }
        catch (ArgumentException) { throw search.Error("scoring", $"unknown metric '{scoring}' (known: {string.Join(", ", MetricKeys.All)})"); }
        if (!schema.IsMultilabel && key is MetricKeys.SamplesF1 or MetricKeys.HammingLoss)
            throw search.Error("scoring", $"{key} applies to multilabel tasks only; this task is {schema.Kind.ToName()} (use macro_f1, accuracy, weighted_f1, log_loss …)");
        return key;
    }

    /// <summary>
    /// scikit-learn refuses, when fitting, a <c>max_df</c> that stands for fewer documents than <c>min_df</c>. When both
    /// are counts or both fractions that needs no data, so it is checked here; a count against a fraction depends on the
    /// number of training documents and is checked against the split (<see cref="LinearTrainer.CheckTrainingData"/>).
    /// </summary>
    private static void CheckDocumentFrequencies(TfidfVectorizerOptions tfidf, ConfigReader root)
    {
        if (tfidf.Vocabulary is not null || tfidf.MinDf.IsFraction != tfidf.MaxDf.IsFraction) return;   // a fixed vocabulary ignores both
        if (tfidf.MaxDf.Value < tfidf.MinDf.Value)
            throw root.Error("tfidf.max_df", $"max_df {tfidf.MaxDf} is below min_df {tfidf.MinDf}: no term could be kept " +
                                             "(scikit-learn: max_df corresponds to < documents than min_df)");
        if (tfidf.CharMinDf is { } charMinDf && charMinDf.IsFraction == tfidf.MaxDf.IsFraction && tfidf.MaxDf.Value < charMinDf.Value)
            throw root.Error("tfidf.char_min_df", $"char_min_df {charMinDf} is above max_df {tfidf.MaxDf}: no character n-gram could be kept");
    }

    /// <summary>Validates the logistic-regression options and every grid candidate, naming the grid key or logreg key at fault.</summary>
    private static void CheckLogReg(LogisticRegressionOptions logreg, IReadOnlyDictionary<string, IReadOnlyList<object?>> grid, ConfigReader root)
    {
        foreach (var (name, values) in grid)
            foreach (var value in values)
            {
                try { ModelSelection.LogisticRegressionSearch.Apply(logreg, [KeyValuePair.Create(name, value)]); }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
                {
                    throw root.Error($"search.grid.{name}", e.Message.Split(" (Parameter")[0]);
                }
            }
        foreach (var candidate in ExpandCandidates(grid).Append([]))
        {
            var list = candidate.ToList();
            try
            {
                ModelSelection.LogisticRegressionSearch.Apply(logreg, list).Validate();
            }
            catch (ArgumentException e)
            {
                var name = SklearnName(e.ParamName);
                var reason = e.Message.Split(" (Parameter")[0];
                if (name is not null && list.Any(kv => kv.Key == name)) throw root.Error($"search.grid.{name}", reason);
                if (list.Count > 0 && name is null) throw root.Error("search.grid", reason);
                throw root.Error(name is null ? "logreg" : $"logreg.{name}", reason);
            }
        }
    }

    /// <summary>The config key of a <see cref="LogisticRegressionOptions"/> property named in an exception.</summary>
    private static string? SklearnName(string? property) => property switch
    {
        nameof(LogisticRegressionOptions.C) => "C",
        nameof(LogisticRegressionOptions.Tol) => "tol",
        nameof(LogisticRegressionOptions.MaxIter) => "max_iter",
        nameof(LogisticRegressionOptions.InterceptScaling) => "intercept_scaling",
        nameof(LogisticRegressionOptions.MaxDegreeOfParallelism) => "n_jobs",
        nameof(LogisticRegressionOptions.MultiClass) => "multi_class",
        nameof(LogisticRegressionOptions.Penalty) => "penalty",
        nameof(LogisticRegressionOptions.Solver) => "solver",
        nameof(LogisticRegressionOptions.ClassWeight) => "class_weight",
        _ => null,
    };

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
            var value = JsonNumber.ToDouble(w);
            if (!double.IsFinite(value) || value < 0)
                throw section.Error($"{key}.{label}", $"class weights must be finite numbers ≥ 0, found {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            result[k.ToString(System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
        return result;
    }
}
