using Classify.Core.Labels;

namespace Classify.Core.Uncertainty;

/// <summary>
/// The uncertainty of a prediction as CSV columns, the flat form of the JSON <c>"uncertainty"</c> object
/// (<see cref="ExampleUncertainty.ToJsonFields"/>): <c>predictive_entropy</c>, <c>aleatoric</c>, <c>epistemic</c>, then
/// <c>std_&lt;label&gt;</c> per label and, for multi-label tasks, <c>aleatoric_&lt;label&gt;</c> and
/// <c>epistemic_&lt;label&gt;</c> per label. Used by <c>predict --output FILE.csv</c> and predictions/&lt;split&gt;.csv.
/// </summary>
public static class UncertaintyColumns
{
    /// <summary>The three per-example columns, first in every layout.</summary>
    public static IReadOnlyList<string> ExampleColumns { get; } = ["predictive_entropy", "aleatoric", "epistemic"];

    /// <summary>Prefix of the per-label standard deviation columns (<c>std_&lt;label&gt;</c>).</summary>
    public const string StdPrefix = "std_";
    /// <summary>Prefix of the per-label aleatoric columns of a multi-label model.</summary>
    public const string AleatoricPrefix = "aleatoric_";
    /// <summary>Prefix of the per-label epistemic columns of a multi-label model.</summary>
    public const string EpistemicPrefix = "epistemic_";

    /// <summary>Prefixes of the per-label columns.</summary>
    public static IReadOnlyList<string> LabelPrefixes { get; } = [StdPrefix, AleatoricPrefix, EpistemicPrefix];

    /// <summary>
    /// The column names for <paramref name="schema"/>; with <paramref name="perLabel"/> false only
    /// <see cref="ExampleColumns"/> (the sparse predictions layout, whose label count is too large for a column each).
    /// </summary>
    public static string[] Header(LabelSchema schema, bool perLabel = true)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var header = new List<string>(ExampleColumns);
        if (!perLabel) return header.ToArray();
        header.AddRange(schema.Labels.Select(l => StdPrefix + l));
        if (schema.IsMultilabel)
        {
            header.AddRange(schema.Labels.Select(l => AleatoricPrefix + l));
            header.AddRange(schema.Labels.Select(l => EpistemicPrefix + l));
        }
        return header.ToArray();
    }

    /// <summary>Writes the values of one example into <paramref name="row"/> from <paramref name="start"/>, in <see cref="Header"/> order.</summary>
    public static void Fill(ExampleUncertainty uncertainty, object?[] row, int start, bool perLabel = true)
    {
        ArgumentNullException.ThrowIfNull(uncertainty);
        ArgumentNullException.ThrowIfNull(row);
        row[start++] = uncertainty.PredictiveEntropy;
        row[start++] = uncertainty.Aleatoric;
        row[start++] = uncertainty.Epistemic;
        if (!perLabel) return;
        foreach (var s in uncertainty.StandardDeviations) row[start++] = s;
        if (uncertainty.PerLabel is { } labels)
        {
            foreach (var l in labels) row[start++] = l.Aleatoric;
            foreach (var l in labels) row[start++] = l.Epistemic;
        }
    }

    /// <summary>True for a column name <see cref="Header"/> can produce (readers skip them when they read probabilities).</summary>
    public static bool IsUncertaintyColumn(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ExampleColumns.Contains(name) || LabelPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
    }
}
