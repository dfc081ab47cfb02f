using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Samplers;

/// <summary>
/// Samples every parameter independently and uniformly (Optuna's RandomSampler): floats uniformly, or log-uniformly
/// with <c>log</c>; ints and stepped floats uniformly over [low − step/2, high + step/2] and rounded to the grid, so the
/// end points are as likely as the inner ones (log ints over log [low − ½, high + ½]); choices uniformly. The history is
/// not used; the stream comes from (seed, trial number).
/// </summary>
public sealed class RandomSampler : ISampler
{
    private readonly long _seed;

    /// <summary>A random sampler with <paramref name="options"/> (default: no seed).</summary>
    public RandomSampler(RandomSamplerOptions? options = null) => _seed = options?.Seed ?? TrialRandom.NewSeed();

    /// <inheritdoc />
    public string Name => "random";

    /// <inheritdoc />
    public TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(space);
        var rng = new TrialRandom(_seed, trialNumber);
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in space.Parameters) parameters[p.Key] = Sample(p, rng);
        return new TrialProposal(parameters);
    }

    /// <summary>One uniform draw from <paramref name="distribution"/> (Optuna's <c>_SearchSpaceTransform</c> bounds and
    /// <c>untransform</c>), as an external value.</summary>
    internal static object? Sample(ParameterDistribution distribution, TrialRandom rng)
    {
        if (ParameterCoding.IsSingle(distribution, out var only)) return only;
        switch (distribution)
        {
            case ChoiceDistribution c:
                return c.Choices[rng.NextIndex(c.Choices.Count)];
            case IntDistribution { Log: true } d:
                return (long)Math.Clamp(Math.Round(Math.Exp(rng.Uniform(Math.Log(d.Low - 0.5), Math.Log(d.High + 0.5)))), d.Low, d.High);
            case IntDistribution d:
                return (long)ParameterCoding.Snap(d, rng.Uniform(d.Low - 0.5 * d.Step, d.High + 0.5 * d.Step));
            case FloatDistribution { Log: true } d:
                // A log float with a step (Optuna forbids the pair) is snapped to its step after the exp.
                return ParameterCoding.Snap(d, Below(d, Math.Exp(rng.Uniform(Math.Log(d.Low), Math.Log(d.High)))));
            case FloatDistribution { Step: double step } d:
                return ParameterCoding.Snap(d, rng.Uniform(d.Low - 0.5 * step, d.High + 0.5 * step));
            case FloatDistribution d:
                return ParameterCoding.Snap(d, Below(d, rng.Uniform(d.Low, d.High)));
            default:
                throw ParameterCoding.Unsupported(distribution);
        }
    }

    // Optuna keeps a continuous float strictly below high (min(param, nextafter(high, -inf))), high being exclusive.
    private static double Below(FloatDistribution d, double value) => d.Low < d.High ? Math.Min(value, Math.BitDecrement(d.High)) : value;
}
