using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;

namespace Classify.Tuning.Space;

/// <summary>
/// Reads the <c>tune.space</c> section: one entry per dotted config key, each a mapping with exactly one distribution
/// and its options.
/// <code>
/// space:
///   linear.tfidf.ngram_range: {choice: [[1, 1], [1, 2], [1, 3]]}
///   linear.tfidf.min_df: {int: [1, 5]}                 # optional step: 2, or log: true
///   linear.logreg.C: {log_uniform: [0.01, 100]}
///   transformer.warmup_ratio: {uniform: [0, 0.2], step: 0.05}
/// </code>
/// Everything that can be checked without the data is checked here, each error naming the file, line and key: the
/// key's section may vary between trials, a choice is not empty and has no repeats, low ≤ high, a log range is
/// positive, a step is positive and divides the range. Whether the engine accepts each value is checked once the data is
/// loaded (<see cref="Study.ExperimentObjective.CheckSpace"/>).
/// </summary>
public static class SearchSpaceParser
{
    /// <summary>The distribution names a space entry may use.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["choice", "int", "uniform", "log_uniform"];

    /// <summary>Top-level sections a trial may change besides the engine's own: everything but the data, split, seed and names.</summary>
    public static readonly IReadOnlyList<string> TunableSections = ["cleaning", "context", "decision", "calibration", "uncertainty"];

    // Relative tolerance when checking that a real step divides a range (0.1 does not divide 0.3 exactly in binary).
    private const double StepTolerance = 1e-9;

    /// <summary>
    /// Parses the <c>space</c> key of <paramref name="tune"/> (the <c>tune:</c> section's reader) for an experiment whose
    /// engine is <paramref name="engine"/>; the space must not be empty.
    /// </summary>
    /// <exception cref="InputException">A bad entry, naming the file, line and <c>tune.space.&lt;key&gt;</c>.</exception>
    public static SearchSpace Parse(ConfigReader tune, string engine)
    {
        ArgumentNullException.ThrowIfNull(tune);
        ArgumentException.ThrowIfNullOrWhiteSpace(engine);
        var space = tune.Section("space");
        if (space.Raw.Count == 0)
            throw tune.Error("space", $"the search space is empty: give at least one config key and its values (e.g. {engine}.… : {{choice: [a, b]}})");
        var parameters = new List<ParameterDistribution>();
        foreach (var (key, _) in space.Raw.ToArray())
        {
            CheckKey(space, key, engine);
            parameters.Add(ParseEntry(space, key));
        }
        return new SearchSpace(parameters);
    }

    private static void CheckKey(ConfigReader space, string key, string engine)
    {
        var parts = key.Split('.');
        if (parts.Length < 2 || parts.Any(p => p.Length == 0))
            throw space.Error(key, $"'{key}' is not a dotted config key: give the full path of the setting (e.g. {engine}.… or cleaning.lowercase)");
        var section = parts[0];
        if (section == engine || TunableSections.Contains(section)) return;
        if (ExperimentConfig.EngineSections.Contains(section))
            throw space.Error(key, $"this config trains the {engine} engine, so {section}.* settings would change nothing; tune {engine}.* keys");
        if (section is "data" or "split" or "name" or "seed" or "runs_dir" or "engine" or ExperimentConfig.TuneSection)
            throw space.Error(key, $"{section} cannot vary between trials: every trial shares the data, split, seed and engine " +
                                   $"(tunable: {engine}.*, {string.Join(".*, ", TunableSections)}.*)");
        throw space.Error(key, $"unknown config section '{section}' (tunable: {engine}.*, {string.Join(".*, ", TunableSections)}.*)");
    }

    private static ParameterDistribution ParseEntry(ConfigReader space, string key)
    {
        var entry = space.Section(key);
        var kinds = Kinds.Where(entry.Has).ToArray();
        if (kinds.Length != 1)
            throw space.Error(key, kinds.Length == 0
                ? $"expected one distribution: {{choice: [...]}}, {{int: [low, high]}}, {{uniform: [low, high]}} or {{log_uniform: [low, high]}}; found {Describe(entry.Raw)}"
                : $"give one distribution, not {string.Join(" and ", kinds)}");
        var kind = kinds[0];
        ParameterDistribution result = kind switch
        {
            "choice" => ParseChoice(entry, key),
            "int" => ParseInt(entry, key),
            _ => ParseFloat(entry, key, log: kind == "log_uniform"),
        };
        entry.EnsureOnlyKnownKeys();
        return result;
    }

    private static ChoiceDistribution ParseChoice(ConfigReader entry, string key)
    {
        if (entry.Node("choice") is not JsonArray list) throw entry.Error("choice", "expected a list of values: choice: [a, b, c]");
        if (list.Count == 0) throw entry.Error("choice", "an empty choice: give at least one value");
        var values = new List<object?>();
        for (int i = 0; i < list.Count; i++)
        {
            object? value;
            try { value = ParameterValues.FromNode(list[i]); }
            catch (ArgumentException) { throw entry.Error("choice", $"value {i + 1} ({list[i]!.ToJsonString()}) is a mapping; a choice holds numbers, text, true/false, null or lists of those"); }
            if (values.Any(v => ParameterValues.AreEqual(v, value)))
                throw entry.Error("choice", $"{ParameterValues.ToJson(value)} appears twice: every choice must be distinct");
            values.Add(value);
        }
        return new ChoiceDistribution(key, values);
    }

    private static IntDistribution ParseInt(ConfigReader entry, string key)
    {
        var (lowValue, highValue) = Range(entry, "int");
        if (lowValue != Math.Floor(lowValue) || highValue != Math.Floor(highValue) || Math.Abs(lowValue) > 1e15 || Math.Abs(highValue) > 1e15)
            throw entry.Error("int", $"an int range needs whole numbers, found [{Num(lowValue)}, {Num(highValue)}] (use uniform for real numbers)");
        long low = (long)lowValue, high = (long)highValue;
        bool log = entry.Bool("log", false);
        if (log && low <= 0) throw entry.Error("int", $"a log scale needs low > 0, found {low}");
        long step = 1;
        if (entry.NullableDouble("step") is { } s)
        {
            if (log) throw entry.Error("step", "step and log: true cannot be combined (a log scale has no fixed step)");
            if (s != Math.Floor(s) || s < 1) throw entry.Error("step", $"an int step must be a whole number ≥ 1, found {Num(s)}");
            step = (long)s;
            if ((high - low) % step != 0)
                throw entry.Error("step", $"step {step} does not divide the range [{low}, {high}] (high − low = {high - low}): the last point would not be high");
        }
        return new IntDistribution(key, low, high, step, log);
    }

    private static FloatDistribution ParseFloat(ConfigReader entry, string key, bool log)
    {
        var kind = log ? "log_uniform" : "uniform";
        var (low, high) = Range(entry, kind);
        if (log && low <= 0) throw entry.Error(kind, $"log_uniform needs low > 0 (the logarithm of {Num(low)} is undefined), found [{Num(low)}, {Num(high)}]");
        double? step = null;
        if (entry.NullableDouble("step") is { } s)
        {
            if (log) throw entry.Error("step", "log_uniform takes no step (a log scale has no fixed step); use uniform with a step, or choice");
            if (!(s > 0) || !double.IsFinite(s)) throw entry.Error("step", $"a step must be a number > 0, found {Num(s)}");
            double k = (high - low) / s;
            if (Math.Abs(k - Math.Round(k)) > StepTolerance * Math.Max(1, Math.Abs(k)))
                throw entry.Error("step", $"step {Num(s)} does not divide the range [{Num(low)}, {Num(high)}] (high − low = {Num(high - low)}): the last point would not be high");
            step = s;
        }
        return new FloatDistribution(key, low, high, step, log);
    }

    private static (double Low, double High) Range(ConfigReader entry, string kind)
    {
        if (entry.Node(kind) is not JsonArray { Count: 2 } pair || !JsonNumber.IsNumber(pair[0]) || !JsonNumber.IsNumber(pair[1]))
            throw entry.Error(kind, $"expected [low, high], two numbers: {kind}: [1, 10]");
        double low = JsonNumber.ToDouble(pair[0]!), high = JsonNumber.ToDouble(pair[1]!);
        if (!double.IsFinite(low) || !double.IsFinite(high)) throw entry.Error(kind, "low and high must be finite numbers");
        if (low > high) throw entry.Error(kind, $"low {Num(low)} is greater than high {Num(high)}");
        return (low, high);
    }

    private static string Describe(JsonObject raw) => raw.Count == 0 ? "an empty mapping" : $"the keys {string.Join(", ", raw.Select(kv => kv.Key))}";

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
