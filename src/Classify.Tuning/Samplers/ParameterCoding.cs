using Classify.Tuning.Space;

namespace Classify.Tuning.Samplers;

/// <summary>
/// Parameter values as the samplers compute with them (Optuna's <c>to_internal_repr</c> / <c>to_external_repr</c>): a
/// choice is its index, an int or a float is its number. Also the snapping of a continuous draw onto an int or stepped
/// float distribution, shared by the random and TPE samplers.
/// </summary>
internal static class ParameterCoding
{
    /// <summary>The internal value of <paramref name="value"/> under <paramref name="distribution"/>, or null when the
    /// distribution cannot have produced it (Optuna masks such observations out as NaN).</summary>
    public static double? ToInternal(ParameterDistribution distribution, object? value) => distribution switch
    {
        ChoiceDistribution c => c.IndexOf(value) is var i and >= 0 ? i : null,
        IntDistribution d => value switch
        {
            long l when d.Contains(l) => l,
            int i when d.Contains((long)i) => i,
            _ => null,
        },
        FloatDistribution d => value switch
        {
            double v when d.Contains(v) => v,
            long l when d.Contains((double)l) => l,
            _ => null,
        },
        _ => throw Unsupported(distribution),
    };

    /// <summary>The external value of an internal one (a choice's index → the choice, an int's number → long).</summary>
    public static object? ToExternal(ParameterDistribution distribution, double value) => distribution switch
    {
        ChoiceDistribution c => c.Choices[(int)value],
        IntDistribution => (long)value,
        FloatDistribution => value,
        _ => throw Unsupported(distribution),
    };

    /// <summary>
    /// A real number snapped into <paramref name="distribution"/>: an int rounds to low + k·step (round half to even, as
    /// numpy's <c>round</c>) and is clipped to [low, high]; a stepped float likewise; an unstepped float is clipped.
    /// </summary>
    public static double Snap(ParameterDistribution distribution, double value) => distribution switch
    {
        IntDistribution d => Math.Clamp(Math.Round((value - d.Low) / d.Step) * d.Step + d.Low, d.Low, d.High),
        FloatDistribution { Step: double step } d => Math.Clamp(Math.Round((value - d.Low) / step) * step + d.Low, d.Low, d.High),
        FloatDistribution d => Math.Clamp(value, d.Low, d.High),
        _ => throw Unsupported(distribution),
    };

    /// <summary>
    /// True when <paramref name="distribution"/> has a single value (one choice, low = high), given in
    /// <paramref name="value"/>: Optuna returns it without consulting the sampler, and the Parzen estimator could not
    /// fit a zero-width range.
    /// </summary>
    public static bool IsSingle(ParameterDistribution distribution, out object? value)
    {
        (bool single, value) = distribution switch
        {
            ChoiceDistribution { Choices.Count: 1 } c => (true, c.Choices[0]),
            IntDistribution d when d.Low == d.High => (true, (object?)d.Low),
            FloatDistribution d when d.Low == d.High => (true, d.Low),
            _ => (false, null),
        };
        return single;
    }

    /// <summary>The error for a distribution type the samplers do not know.</summary>
    public static NotSupportedException Unsupported(ParameterDistribution distribution) =>
        new($"parameter '{distribution.Key}': the samplers do not support {distribution.GetType().Name}");
}
