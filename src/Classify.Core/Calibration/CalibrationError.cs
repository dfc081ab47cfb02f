using System.Text.Json.Serialization;
using Classify.Core.Labels;
using Classify.Core.Prediction;

namespace Classify.Core.Calibration;

/// <summary>One equal-width confidence bin of a reliability diagram.</summary>
/// <param name="Lower">Lower edge (exclusive, except 0 for the first bin).</param>
/// <param name="Upper">Upper edge (inclusive).</param>
/// <param name="Count">Confidences that fell into the bin.</param>
/// <param name="Confidence">Mean confidence in the bin, or null when it is empty.</param>
/// <param name="Accuracy">Fraction of the bin's predictions that were right (single-label) or labels that were present (multi-label), or null when it is empty.</param>
public sealed record ReliabilityBin(
    [property: JsonPropertyName("lower")] double Lower,
    [property: JsonPropertyName("upper")] double Upper,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("confidence")] double? Confidence,
    [property: JsonPropertyName("accuracy")] double? Accuracy);

/// <summary>
/// Expected calibration error (ECE) and reliability bins, with <see cref="DefaultBinCount"/> equal-width bins.
/// <para>A confidence c falls into bin b (0-based, of B bins) when b/B &lt; c ≤ (b+1)/B; c = 0 falls into the first bin.
/// For a set of (confidence cᵢ, outcome oᵢ ∈ {0, 1}) pairs, ECE = Σ_b (n_b / N) · |mean(o in b) − mean(c in b)|.</para>
/// <para>Single-label tasks (binary and multiclass) use the top label: cᵢ = maxₖ pᵢₖ and oᵢ = 1 when that label (the
/// first on ties, as argmax) is the gold label; thresholds play no part. Multi-label tasks: for each label k the
/// pairs (pᵢₖ, 1 if k is among row i's gold labels), its binary ECE, and the mean of those over all labels.</para>
/// </summary>
public static class CalibrationError
{
    /// <summary>The number of equal-width bins of <c>ece</c> and of the reliability diagrams.</summary>
    public const int DefaultBinCount = 15;

    /// <summary>
    /// ECE of probabilities against gold label sets (see <see cref="CalibrationError"/> for the definition): top-label
    /// for single-label tasks, the mean over labels of per-label binary ECE for multi-label tasks.
    /// </summary>
    /// <param name="schema">Task and labels.</param>
    /// <param name="gold">Gold label indices per row (exactly one for single-label tasks).</param>
    /// <param name="probabilities">One row of <c>schema.Count</c> probabilities per example.</param>
    /// <param name="binCount">Number of equal-width bins (≥ 1).</param>
    /// <exception cref="ArgumentException">No rows, or rows and gold sets that do not match.</exception>
    public static double Compute(LabelSchema schema, IReadOnlyList<int[]> gold, double[][] probabilities, int binCount = DefaultBinCount)
    {
        Check(schema, gold, probabilities, binCount);
        if (!schema.IsMultilabel) return FromBins(Bin(TopLabel(gold, probabilities), binCount), gold.Count);
        double sum = 0;
        for (int k = 0; k < schema.Count; k++) sum += FromBins(Bin(LabelPairs(gold, probabilities, k), binCount), gold.Count);
        return sum / schema.Count;
    }

    /// <summary>
    /// The bins of a reliability diagram: top-label confidence against accuracy for single-label tasks; for multi-label
    /// tasks every (example, label) pair pooled, the label's probability against its presence.
    /// </summary>
    /// <exception cref="ArgumentException">No rows, or rows and gold sets that do not match.</exception>
    public static IReadOnlyList<ReliabilityBin> Reliability(LabelSchema schema, IReadOnlyList<int[]> gold, double[][] probabilities,
        int binCount = DefaultBinCount)
    {
        Check(schema, gold, probabilities, binCount);
        var pairs = schema.IsMultilabel
            ? Enumerable.Range(0, schema.Count).SelectMany(k => LabelPairs(gold, probabilities, k))
            : TopLabel(gold, probabilities);
        return Bin(pairs, binCount).Select((b, i) => new ReliabilityBin((double)i / binCount, (double)(i + 1) / binCount, b.Count,
            b.Count == 0 ? null : b.Confidence / b.Count, b.Count == 0 ? null : b.Outcome / b.Count)).ToArray();
    }

    /// <summary>The bin of a confidence in [0, 1]: b with b/B &lt; c ≤ (b+1)/B, and 0 for c = 0.</summary>
    internal static int BinOf(double confidence, int binCount) => Math.Clamp((int)Math.Ceiling(confidence * binCount) - 1, 0, binCount - 1);

    private static IEnumerable<(double Confidence, bool Outcome)> TopLabel(IReadOnlyList<int[]> gold, double[][] probabilities)
    {
        for (int i = 0; i < gold.Count; i++)
        {
            int top = DecisionRule.ArgMax(probabilities[i]);
            yield return (probabilities[i][top], gold[i].Length == 1 && gold[i][0] == top);
        }
    }

    private static IEnumerable<(double Confidence, bool Outcome)> LabelPairs(IReadOnlyList<int[]> gold, double[][] probabilities, int label)
    {
        for (int i = 0; i < gold.Count; i++) yield return (probabilities[i][label], Array.IndexOf(gold[i], label) >= 0);
    }

    // Per bin: count, sum of confidences, sum of outcomes.
    private static (int Count, double Confidence, double Outcome)[] Bin(IEnumerable<(double Confidence, bool Outcome)> pairs, int binCount)
    {
        var bins = new (int Count, double Confidence, double Outcome)[binCount];
        foreach (var (c, o) in pairs)
        {
            ref var bin = ref bins[BinOf(c, binCount)];
            bin.Count++;
            bin.Confidence += c;
            if (o) bin.Outcome++;
        }
        return bins;
    }

    private static double FromBins((int Count, double Confidence, double Outcome)[] bins, int total)
    {
        double ece = 0;
        foreach (var b in bins)
            if (b.Count > 0) ece += (double)b.Count / total * Math.Abs(b.Outcome / b.Count - b.Confidence / b.Count);
        return ece;
    }

    private static void Check(LabelSchema schema, IReadOnlyList<int[]> gold, double[][] probabilities, int binCount)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(binCount, 1);
        if (gold.Count == 0) throw new ArgumentException("calibration error needs at least one example", nameof(gold));
        if (probabilities.Length != gold.Count) throw new ArgumentException($"{gold.Count} gold rows but {probabilities.Length} probability rows", nameof(probabilities));
        for (int i = 0; i < probabilities.Length; i++)
            if (probabilities[i]?.Length != schema.Count)
                throw new ArgumentException($"probability row {i} has {probabilities[i]?.Length ?? 0} values; the schema has {schema.Count} labels", nameof(probabilities));
    }
}
