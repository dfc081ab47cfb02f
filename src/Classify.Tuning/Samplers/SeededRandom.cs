namespace Classify.Tuning.Samplers;

/// <summary>
/// The samplers' random stream: xoshiro256** seeded through SplitMix64 from (study seed, trial number). Deriving the
/// stream from the trial number rather than carrying one generator across trials (as Optuna's RandomState does) makes a
/// proposal reproducible in any process: two workers sharing a seed get different streams for different trials, and a
/// resumed study proposes what an uninterrupted one would have. The algorithm is fixed here, not borrowed from
/// <see cref="Random"/>, so seeded studies reproduce across .NET versions.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A stream for <paramref name="trialNumber"/> of a study seeded with <paramref name="seed"/>.</summary>
    public SeededRandom(long seed, long trialNumber)
    {
        ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)trialNumber * 0xD1B54A32D192ED03UL ^ 0x5DEECE66DUL);
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>) (numpy's <c>uniform</c>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="count"/>).</summary>
    public int NextIndex(int count) => Math.Min((int)(NextDouble() * count), count - 1);

    /// <summary>A fresh random seed for a sampler created without one (Optuna's <c>seed=None</c>).</summary>
    public static long NewSeed() => System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);
}
