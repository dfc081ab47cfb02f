namespace Classify.Core.Randomness;

/// <summary>
/// A small, fast pseudo-random generator whose output depends only on the seed: xoshiro256** seeded
/// through SplitMix64 (Blackman and Vigna). Unlike <see cref="System.Random"/>, whose algorithm may change
/// between .NET versions, the sequence is fixed here, so splits and shuffles are identical on every machine
/// and every runtime. Not thread-safe and not cryptographic.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator; equal seeds give equal sequences.</summary>
    public SeededRandom(ulong seed)
    {
        // SplitMix64 expands the seed into the four state words, so no seed (not even 0) gives an all-zero state.
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>
    /// Derives an independent stream for a named purpose (e.g. <c>"split"</c>, <c>"kfold"</c>) from one seed,
    /// so that adding a new consumer of randomness does not shift the sequences of existing ones.
    /// </summary>
    public static SeededRandom ForPurpose(ulong seed, string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        // FNV-1a over the UTF-16 code units: stable across runtimes, unlike string.GetHashCode.
        ulong h = 14695981039346656037UL;
        foreach (char c in purpose)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        ulong x = seed ^ h;
        return new SeededRandom(SplitMix64(ref x));
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            ulong high = Math.BigMul(r, bound, out ulong low);
            if (low >= threshold) return (int)high;
        }
    }

    /// <summary>Shuffles the span in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Shuffles the list in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0 … <paramref name="n"/>-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>
    /// SplitMix64's next output from state <paramref name="state"/> (the state advanced by the golden gamma, then
    /// finalised): a well-mixed 64-bit hash of a 64-bit value, for deriving seeds.
    /// </summary>
    public static ulong SplitMix(ulong state)
    {
        ulong z = state + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = SplitMix(x);
        x += 0x9E3779B97F4A7C15UL;
        return z;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
