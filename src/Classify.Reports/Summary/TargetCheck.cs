using System.Globalization;
using System.Text.RegularExpressions;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Reports.RunData;

namespace Classify.Reports.Summary;

/// <summary>How a metric is compared with a target value.</summary>
public enum TargetComparison
{
    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,
    /// <summary><c>&gt;</c></summary>
    Greater,
    /// <summary><c>&lt;=</c> (for losses)</summary>
    LessOrEqual,
    /// <summary><c>&lt;</c> (for losses)</summary>
    Less,
}

/// <summary>
/// A target such as <c>macro_f1&gt;=0.85</c> or <c>val.accuracy&gt;0.7</c>: a metric key of the metrics JSON,
/// optionally prefixed by a split (<c>val</c> or <c>test</c>; default <c>test</c>), an operator
/// (<c>&gt;=</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&lt;</c>) and a number.
/// </summary>
/// <param name="Split">Split whose metrics are checked.</param>
/// <param name="Metric">Metric key (e.g. macro_f1).</param>
/// <param name="Comparison">Comparison operator.</param>
/// <param name="Value">Target value.</param>
public sealed partial record TargetCheck(string Split, string Metric, TargetComparison Comparison, double Value)
{
    /// <summary>Split used when the target names none.</summary>
    public const string DefaultSplit = "test";

    /// <summary>Parses a target; whitespace around parts is allowed. Throws <see cref="InputException"/> (field = the text) when malformed.</summary>
    public static TargetCheck Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Pattern().Match(text);
        if (!m.Success)
            throw new InputException($"target '{text}' is not of the form [split.]metric>=value (operators >=, >, <=, <), e.g. test.macro_f1>=0.85", field: "target");
        var split = m.Groups["split"].Success ? m.Groups["split"].Value.ToLowerInvariant() : DefaultSplit;
        if (split == "validation") split = "val";
        if (split is not ("val" or "test"))
            throw new InputException($"target '{text}': unknown split '{split}' (expected val or test)", field: "target");
        var metric = m.Groups["metric"].Value.ToLowerInvariant();
        if (!MetricKeys.All.Contains(metric))
            throw new InputException($"target '{text}': unknown metric '{metric}' (expected one of {string.Join(", ", MetricKeys.All)})", field: "target");
        if (!double.TryParse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new InputException($"target '{text}': '{m.Groups["value"].Value}' is not a number", field: "target");
        var comparison = m.Groups["op"].Value switch
        {
            ">=" => TargetComparison.GreaterOrEqual,
            ">" => TargetComparison.Greater,
            "<=" => TargetComparison.LessOrEqual,
            _ => TargetComparison.Less,
        };
        return new TargetCheck(split, metric, comparison, value);
    }

    /// <summary>True when <paramref name="actual"/> satisfies the target.</summary>
    public bool IsMet(double actual) => Comparison switch
    {
        TargetComparison.GreaterOrEqual => actual >= Value,
        TargetComparison.Greater => actual > Value,
        TargetComparison.LessOrEqual => actual <= Value,
        _ => actual < Value,
    };

    /// <summary>The operator as written (<c>&gt;=</c>, …).</summary>
    public string Operator => Comparison switch
    {
        TargetComparison.GreaterOrEqual => ">=",
        TargetComparison.Greater => ">",
        TargetComparison.LessOrEqual => "<=",
        _ => "<",
    };

    /// <summary>Canonical text, e.g. <c>test.macro_f1&gt;=0.85</c>.</summary>
    public override string ToString() => $"{Split}.{Metric}{Operator}{Value.ToString("R", CultureInfo.InvariantCulture)}";

    [GeneratedRegex(@"^\s*(?:(?<split>[A-Za-z]+)\s*\.\s*)?(?<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?<op>>=|<=|>|<)\s*(?<value>[-+0-9.eE]+)\s*$")]
    private static partial Regex Pattern();
}

/// <summary>The outcome of one target.</summary>
/// <param name="Target">The target.</param>
/// <param name="Actual">The metric's value, or null when the run has no such metric on that split.</param>
/// <param name="Met">True when the value exists and satisfies the target.</param>
public sealed record TargetResult(TargetCheck Target, double? Actual, bool Met);
