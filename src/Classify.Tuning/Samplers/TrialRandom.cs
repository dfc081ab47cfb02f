using Classify.Core.Randomness;

namespace Classify.Tuning.Samplers;

/// <summary>
/// The samplers' random stream for one trial: Core's <see cref="SeededRandom"/> for the purpose
/// <c>tuning-trial-&lt;number&gt;</c> of the study seed. Deriving the stream from the trial number rather than carrying
/// one generator across trials (as Optuna's RandomState does) makes a proposal reproducible in any process: two workers
/// sharing a seed get different streams for different trials, and a resumed study proposes what an uninterrupted one
/// would have.
/// </summary>
internal sealed class TrialRandom
{
    private readonly SeededRandom _random;

    /// <summary>A stream for <paramref name="trialNumber"/> of a study seeded with <paramref name="seed"/>.</summary>
    public TrialRandom(long seed, long trialNumber) =>
        _random = SeededRandom.ForPurpose(unchecked((ulong)seed), $"tuning-trial-{trialNumber}");

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => _random.NextDouble();

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>) (numpy's <c>uniform</c>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="count"/>).</summary>
    public int NextIndex(int count) => _random.NextInt(count);

    /// <summary>A fresh random seed for a sampler created without one (Optuna's <c>seed=None</c>).</summary>
    public static long NewSeed() => System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);
}
