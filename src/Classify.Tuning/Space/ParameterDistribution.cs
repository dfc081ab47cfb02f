namespace Classify.Tuning.Space;

/// <summary>
/// Where one hyperparameter's values come from: a config key (<c>linear.C</c>, <c>transformer.learning_rate</c> …)
/// and its distribution. Values are plain: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/> or null (and, for choices, lists of those), so they serialise to JSON and back unchanged.
/// </summary>
/// <param name="Key">The dotted config key the value is written to.</param>
public abstract record ParameterDistribution(string Key)
{
    /// <summary>True when <paramref name="value"/> is a value this distribution can produce.</summary>
    public abstract bool Contains(object? value);
}

/// <summary>One of a fixed list of values (<c>choice</c>); order matters for the grid and for TPE's categorical index.</summary>
public sealed record ChoiceDistribution(string Key, IReadOnlyList<object?> Choices) : ParameterDistribution(Key)
{
    /// <inheritdoc />
    public override bool Contains(object? value) => IndexOf(value) >= 0;

    /// <summary>The index of <paramref name="value"/> among the choices (JSON-equal), or -1.</summary>
    public int IndexOf(object? value)
    {
        for (int i = 0; i < Choices.Count; i++)
            if (ParameterValues.AreEqual(Choices[i], value)) return i;
        return -1;
    }
}

/// <summary>An integer in [<paramref name="Low"/>, <paramref name="High"/>] (<c>int</c>), on a grid of
/// <paramref name="Step"/> from low, optionally sampled on a log scale (then step is 1).</summary>
public sealed record IntDistribution(string Key, long Low, long High, long Step = 1, bool Log = false) : ParameterDistribution(Key)
{
    /// <inheritdoc />
    public override bool Contains(object? value) =>
        value is long v && v >= Low && v <= High && (v - Low) % Step == 0;
}

/// <summary>A real number in [<paramref name="Low"/>, <paramref name="High"/>]: <c>uniform</c>, or <c>log_uniform</c>
/// when <paramref name="Log"/>; with <paramref name="Step"/>, restricted to low + k·step.</summary>
public sealed record FloatDistribution(string Key, double Low, double High, double? Step = null, bool Log = false) : ParameterDistribution(Key)
{
    /// <inheritdoc />
    public override bool Contains(object? value)
    {
        if (value is not double v || double.IsNaN(v) || v < Low || v > High) return false;
        if (Step is not double step) return true;
        double k = (v - Low) / step;
        return Math.Abs(k - Math.Round(k)) < 1e-8;
    }
}
