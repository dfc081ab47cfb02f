using System.Text.Json.Nodes;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Samplers;

/// <summary>Trials, distributions and the Optuna parity fixture (Fixtures/optuna_parity.json, made by make_tuning_fixtures.py).</summary>
internal static class TuningTestData
{
    private static readonly Lazy<JsonObject> Parity = new(() =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Classify.Tuning.Tests", "Fixtures", "optuna_parity.json")))!);

    /// <summary>The parity fixture's section <paramref name="name"/>.</summary>
    public static JsonNode Fixture(string name) => Parity.Value[name]!;

    public static StudyTrial Trial(int number, TrialState state, IReadOnlyDictionary<string, object?>? parameters = null, double? value = null,
        IReadOnlyDictionary<long, double>? intermediate = null, string? gridKey = null) =>
        new(1000 + number, number, state, parameters ?? new Dictionary<string, object?>(), value,
            intermediate ?? new Dictionary<long, double>(), null, null, null, null, null, gridKey, null);

    public static StudyDirection Direction(string name) => name == "maximize" ? StudyDirection.Maximize : StudyDirection.Minimize;

    /// <summary>A distribution keyed "x" from the fixture's JSON.</summary>
    public static ParameterDistribution Distribution(JsonNode d) => (string)d["type"]! switch
    {
        "choice" => new ChoiceDistribution("x", d["choices"]!.AsArray().Select(c => ParameterValues.FromNode(c?.DeepClone())).ToList()),
        "int" => new IntDistribution("x", (long)d["low"]!, (long)d["high"]!, (long)d["step"]!, (bool)d["log"]!),
        "float" => new FloatDistribution("x", (double)d["low"]!, (double)d["high"]!, (double?)d["step"], (bool)d["log"]!),
        var t => throw new ArgumentException(t),
    };

    public static double[] Doubles(JsonNode? node) => node!.AsArray().Select(v => (double)v!).ToArray();

    /// <summary>The tweet linear space of the acceptance benchmark.</summary>
    public static SearchSpace TweetLinearSpace() => new([
        new ChoiceDistribution("linear.ngram_range", [new List<object?> { 1L, 1L }, new List<object?> { 1L, 2L }, new List<object?> { 1L, 3L }]),
        new IntDistribution("linear.min_df", 1, 5),
        new ChoiceDistribution("linear.sublinear_tf", [true, false]),
        new FloatDistribution("linear.C", 0.01, 100, Log: true),
        new ChoiceDistribution("linear.class_weight", [null, "balanced"]),
    ]);
}
