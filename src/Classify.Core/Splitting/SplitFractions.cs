using System.Globalization;

namespace Classify.Core.Splitting;

/// <summary>The share of examples that goes to each split; the three fractions sum to 1.</summary>
public sealed record SplitFractions
{
    /// <summary>70% train, 15% validation, 15% test.</summary>
    public static SplitFractions Default { get; } = new(0.70, 0.15, 0.15);

    /// <summary>Creates fractions; each must be in [0, 1], train must be positive, and they must sum to 1 (±1e-6).</summary>
    public SplitFractions(double train, double val, double test)
    {
        foreach (var (name, v) in new[] { ("train", train), ("val", val), ("test", test) })
            if (!(v >= 0 && v <= 1))
                throw new ArgumentOutOfRangeException(name, v, $"The {name} fraction must be between 0 and 1.");
        if (train <= 0) throw new ArgumentOutOfRangeException(nameof(train), train, "The train fraction must be positive.");
        double sum = train + val + test;
        if (Math.Abs(sum - 1) > 1e-6)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Split fractions must sum to 1, got {train} + {val} + {test} = {sum}."));
        Train = train;
        Val = val;
        Test = test;
    }

    /// <summary>Fraction of examples in the training split.</summary>
    public double Train { get; }
    /// <summary>Fraction of examples in the validation split.</summary>
    public double Val { get; }
    /// <summary>Fraction of examples in the test split.</summary>
    public double Test { get; }

    internal double[] ToArray() => [Train, Val, Test];
}

/// <summary>How <see cref="DatasetSplitter"/> partitions a dataset.</summary>
public sealed record SplitOptions
{
    /// <summary>Target split sizes (default 70/15/15).</summary>
    public SplitFractions Fractions { get; init; } = SplitFractions.Default;

    /// <summary>Seed of the shuffles; the same seed and data give the same split on every machine.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Honour a split column in the data when every example has one (default true).</summary>
    public bool UsePredefined { get; init; } = true;
}
