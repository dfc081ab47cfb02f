using Classify.Core.Labels;

namespace Classify.Core.Prediction;

/// <summary>
/// Turns per-label probabilities into predicted labels. Multiclass: the most probable label. Binary: the
/// positive (second) label when its probability reaches its threshold (0.5 by default, so argmax). Multilabel:
/// every label whose probability reaches its threshold (0.5 by default).
/// </summary>
public static class DecisionRule
{
    /// <summary>Predicted label indices for one row of probabilities.</summary>
    public static int[] Apply(LabelSchema schema, ReadOnlySpan<double> probabilities, IReadOnlyList<double>? thresholds = null)
    {
        switch (schema.Kind)
        {
            case TaskKind.Multilabel:
            {
                var picked = new List<int>();
                for (int k = 0; k < probabilities.Length; k++)
                    if (probabilities[k] >= (thresholds?[k] ?? 0.5)) picked.Add(k);
                return picked.ToArray();
            }
            case TaskKind.Binary when thresholds is not null:
                return [probabilities[1] >= thresholds[1] ? 1 : 0];
            default:
                return [ArgMax(probabilities)];
        }
    }

    /// <summary>Index of the largest value (first one on ties, as numpy's argmax).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
