using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.Labels;

namespace Classify.Transformers.Training;

/// <summary>
/// How the loss weights labels: <c>class_weight</c> for cross-entropy (one weight per class) or <c>pos_weight</c>
/// for multi-label BCE-with-logits (one weight on the positive term per label). Either a rule computed from the
/// training label counts (<see cref="Balanced"/>, <see cref="LogScaled"/>) or explicit weights.
/// </summary>
public sealed record LossWeighting
{
    /// <summary>
    /// <c>balanced</c>. Class weights: scikit-learn's <c>n_samples / (n_classes × count_c)</c>. Positive weights:
    /// <c>N_neg,c / N_pos,c</c>, clipped to [<see cref="MinPositiveWeight"/>, <see cref="MaxPositiveWeight"/>].
    /// </summary>
    public const string Balanced = "balanced";

    /// <summary>
    /// <c>log_scaled</c> (positive weights only): <c>clip(1 + ln((N_neg,c + 1) / (N_pos,c + 1)), 0.1, 20)</c>, a gentler
    /// boost of rare labels than <see cref="Balanced"/>.
    /// </summary>
    public const string LogScaled = "log_scaled";

    /// <summary>Lower clip of computed positive weights.</summary>
    public const double MinPositiveWeight = 0.1;
    /// <summary>Upper clip of computed positive weights.</summary>
    public const double MaxPositiveWeight = 20.0;

    /// <summary>The rule name (<see cref="Balanced"/> or <see cref="LogScaled"/>), or null for explicit weights.</summary>
    public string? Rule { get; init; }

    /// <summary>Explicit weights by label name (labels not listed weigh 1), or null.</summary>
    public IReadOnlyDictionary<string, double>? ByLabel { get; init; }

    /// <summary>Explicit weights in label order, or null.</summary>
    public IReadOnlyList<double>? InLabelOrder { get; init; }

    /// <summary>Weights by rule.</summary>
    public static LossWeighting FromRule(string rule) => new() { Rule = rule };

    /// <summary>
    /// scikit-learn's <c>compute_class_weight("balanced")</c>: <c>n / (k × count_c)</c> for every class. A class absent
    /// from the training split never is a target, so its weight has no effect; it gets 1.
    /// </summary>
    public static double[] BalancedClassWeights(IReadOnlyList<int> labels, int numClasses)
    {
        var counts = new int[numClasses];
        foreach (var y in labels) counts[y]++;
        var weights = new double[numClasses];
        for (int c = 0; c < numClasses; c++) weights[c] = counts[c] == 0 ? 1.0 : (double)labels.Count / (numClasses * counts[c]);
        return weights;
    }

    /// <summary>
    /// Positive weights per label from the multi-hot training labels: <see cref="LogScaled"/>
    /// <c>clip(1 + ln((N_neg + 1) / (N_pos + 1)), 0.1, 20)</c> or <see cref="Balanced"/> <c>clip(N_neg / N_pos, 0.1, 20)</c>.
    /// </summary>
    public static double[] PositiveWeights(IReadOnlyList<int[]> labelSets, int numLabels, string rule)
    {
        var positives = new int[numLabels];
        foreach (var set in labelSets) foreach (var c in set) positives[c]++;
        var weights = new double[numLabels];
        for (int c = 0; c < numLabels; c++)
        {
            double pos = positives[c], neg = labelSets.Count - positives[c];
            double w = rule == LogScaled ? 1.0 + Math.Log((neg + 1.0) / (pos + 1.0))
                : pos == 0 ? double.PositiveInfinity : neg / pos;
            weights[c] = Math.Clamp(w, MinPositiveWeight, MaxPositiveWeight);
        }
        return weights;
    }

    /// <summary>The weight of every label of <paramref name="schema"/>, computed from <paramref name="train"/> for a rule.</summary>
    public double[] Resolve(LabelSchema schema, IReadOnlyList<Example> train)
    {
        if (InLabelOrder is { } list) return list.ToArray();
        if (ByLabel is { } map) return schema.Labels.Select(l => map.GetValueOrDefault(l, 1.0)).ToArray();
        return schema.IsMultilabel
            ? PositiveWeights(train.Select(e => e.Labels).ToList(), schema.Count, Rule!)
            : Rule == Balanced ? BalancedClassWeights(train.Select(e => e.Label).ToList(), schema.Count)
            : throw new InvalidOperationException($"'{Rule}' weights exist for multi-label tasks only.");
    }

    /// <summary>Checks explicit weights against the schema (label names, list length, positive values).</summary>
    public void Validate(LabelSchema schema, ConfigReader reader, string key)
    {
        if (InLabelOrder is { } list && list.Count != schema.Count)
            throw reader.Error(key, $"{list.Count} weights for {schema.Count} labels");
        if (ByLabel is { } map)
            foreach (var label in map.Keys)
                if (!schema.Contains(label)) throw reader.Error(key, $"'{label}' is not a label (labels: {string.Join(", ", schema.Labels)})");
        if (Rule == LogScaled && !schema.IsMultilabel)
            throw reader.Error(key, $"'{LogScaled}' applies to multi-label tasks (pos_weight); use class_weight: balanced");
    }

    /// <summary>Reads a weighting key: one of <paramref name="rules"/>, a map label → number, or a list of numbers.</summary>
    internal static LossWeighting? Read(ConfigReader reader, string key, params string[] rules)
    {
        switch (reader.Node(key))
        {
            case null:
                return null;
            case JsonValue v when v.TryGetValue<string>(out var s):
                var rule = s.Trim().ToLowerInvariant();
                if (rule is "none" or "") return null;
                return rules.Contains(rule) ? FromRule(rule) : throw reader.Error(key, $"'{s}' is not one of: {string.Join(", ", rules)}, a map label: weight, or a list");
            case JsonObject o:
                var byLabel = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (label, node) in o)
                    byLabel[label] = node is JsonValue w && w.GetValueKind() == JsonValueKind.Number && w.GetValue<double>() is var d && d >= 0
                        ? d : throw reader.Error($"{key}.{label}", "expected a weight of at least 0");
                return new LossWeighting { ByLabel = byLabel };
            case JsonArray:
                var values = reader.DoubleList(key)!;
                if (values.Any(w => w < 0 || !double.IsFinite(w))) throw reader.Error(key, "weights must be finite and at least 0");
                return new LossWeighting { InLabelOrder = values };
            default:
                throw reader.Error(key, $"expected one of: {string.Join(", ", rules)}, a map label: weight, or a list");
        }
    }
}
