namespace Classify.Core.Uncertainty;

/// <summary>
/// Shannon entropies in nats (natural logarithm), with the limit convention 0 · ln 0 = 0, so a probability of exactly 0
/// or 1 contributes nothing instead of NaN.
/// </summary>
public static class Entropy
{
    /// <summary>
    /// Entropy of a categorical distribution, H(p) = −Σₖ pₖ ln pₖ (0 for a one-hot row, ln K for a uniform one). The
    /// probabilities are used as given, not renormalised.
    /// </summary>
    public static double Categorical(ReadOnlySpan<double> probabilities)
    {
        double sum = 0;
        foreach (double p in probabilities) sum += NegativeXLogX(p);
        return sum;
    }

    /// <summary>
    /// Entropy of one Bernoulli variable with P(1) = <paramref name="p"/>: h(p) = −p ln p − (1 − p) ln(1 − p), at most
    /// ln 2 (p = 0.5). Equals <see cref="Categorical"/> of [1 − p, p].
    /// </summary>
    public static double Bernoulli(double p) => NegativeXLogX(p) + NegativeXLogX(1 - p);

    /// <summary>−x ln x, 0 at x = 0 (its limit), so that certain outcomes add nothing.</summary>
    internal static double NegativeXLogX(double x) => x > 0 ? -x * Math.Log(x) : 0.0;
}
