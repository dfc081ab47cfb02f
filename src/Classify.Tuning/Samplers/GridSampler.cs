using System.Globalization;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Samplers;

/// <summary>
/// Evaluates every point of the space's Cartesian product exactly once, across all workers. Each parameter's values
/// are, in config order: a choice's values; an int's low, low + step, …, high; a stepped float's low + k·step up to high
/// (a float without a step has no grid and is refused). A proposal is the first point, in visiting order, not held by a
/// live trial — waiting, running, complete or pruned; a failed trial's point is free again — and carries the point's
/// canonical key in <see cref="TrialProposal.GridKey"/>. The storage refuses a second live trial with the same key, so
/// when two workers race for a point one wins and the other asks again with the fresh trials. Returns null once every
/// point is held. Unlike Optuna's GridSampler, which picks a random unvisited point, the order is fixed: config order,
/// or a permutation fixed by <see cref="GridSamplerOptions.Seed"/>.
/// </summary>
public sealed class GridSampler : ISampler
{
    // A seeded order is a materialised permutation; beyond this many points it would cost too much memory.
    private const long MaxShuffledPoints = 10_000_000;

    private readonly long? _seed;
    // The last space's axes and visiting order, swapped as one reference so concurrent proposals stay consistent.
    private Prepared? _prepared;

    private sealed record Prepared(SearchSpace Space, IReadOnlyList<object?>[] Axes, long[]? Order);

    /// <summary>A grid sampler with <paramref name="options"/> (default: config order).</summary>
    public GridSampler(GridSamplerOptions? options = null) => _seed = options?.Seed;

    /// <inheritdoc />
    public string Name => "grid";

    /// <summary>Why <paramref name="space"/> has no grid (a float without a step, an empty axis, too many points), or null.</summary>
    public static string? FindProblem(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        foreach (var p in space.Parameters)
        {
            if (p is FloatDistribution { Step: null })
                return $"parameter '{p.Key}': a grid needs a `step` for a float range (or give it as a choice)";
            if (p is FloatDistribution { Step: <= 0 } or IntDistribution { Step: <= 0 })
                return $"parameter '{p.Key}': a grid needs a positive step";
            if (p is ChoiceDistribution { Choices.Count: 0 }) return $"parameter '{p.Key}': a choice needs at least one value";
            if (p is FloatDistribution f && f.High < f.Low || p is IntDistribution i && i.High < i.Low)
                return $"parameter '{p.Key}': low is above high";
        }
        try { _ = CountPoints(space.Parameters); }
        catch (OverflowException) { return "the grid has more points than can be counted (over 2^63)"; }
        return null;
    }

    /// <summary>The number of points of the grid over <paramref name="space"/>.</summary>
    /// <exception cref="ArgumentException">The space has no grid (see <see cref="FindProblem"/>).</exception>
    public static long GridSize(SearchSpace space)
    {
        if (FindProblem(space) is { } problem) throw new ArgumentException(problem, nameof(space));
        return CountPoints(space.Parameters);
    }

    private static long CountPoints(IReadOnlyList<ParameterDistribution> parameters)
    {
        long total = 1;
        foreach (var p in parameters) total = checked(total * AxisLength(p));
        return total;
    }

    private static long AxisLength(ParameterDistribution p) => p switch
    {
        ChoiceDistribution c => c.Choices.Count,
        IntDistribution d => (d.High - d.Low) / d.Step + 1,
        // The tolerance keeps high on the grid when (high − low)/step is an integer up to rounding (0.3/0.1 = 2.9999…).
        FloatDistribution { Step: double step } d => (long)Math.Floor((d.High - d.Low) / step + 1e-9) + 1,
        _ => throw ParameterCoding.Unsupported(p),
    };

    // The axis's values; float values are rounded to the decimals of low and step so 0.1 + 2·0.1 is 0.3, not 0.30000000000000004.
    private static IReadOnlyList<object?> Axis(ParameterDistribution p)
    {
        long n = AxisLength(p);
        switch (p)
        {
            case ChoiceDistribution c: return c.Choices;
            case IntDistribution d:
                var ints = new object?[n];
                for (long k = 0; k < n; k++) ints[k] = d.Low + k * d.Step;
                return ints;
            case FloatDistribution { Step: double step } d:
                int decimals = Math.Min(15, Math.Max(Decimals(d.Low), Decimals(step)));
                var floats = new object?[n];
                for (long k = 0; k < n; k++) floats[k] = Math.Min(d.High, Math.Round(d.Low + k * step, decimals));
                return floats;
            default: throw ParameterCoding.Unsupported(p);
        }
    }

    private static int Decimals(double x)
    {
        var s = x.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E')) return 15;
        int dot = s.IndexOf('.');
        return dot < 0 ? 0 : s.Length - dot - 1;
    }

    /// <summary>The canonical key of a point: its parameters as compact JSON in config order.</summary>
    public static string PointKey(SearchSpace space, IReadOnlyDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(parameters);
        var ordered = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in space.Parameters) ordered[p.Key] = parameters.TryGetValue(p.Key, out var v) ? v : null;
        return ParameterValues.ToJson(ordered);
    }

    /// <inheritdoc />
    public TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(trials);
        long size = GridSize(space);
        var prepared = Prepare(space, size);

        // A live trial holds its grid key; one created without a key (enqueued by hand) holds the point its parameters name.
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in trials)
            if (t.State != TrialState.Failed)
                held.Add(t.GridKey ?? PointKey(space, t.Parameters));

        for (long rank = 0; rank < size; rank++)
        {
            var parameters = Point(space, prepared.Axes, prepared.Order is null ? rank : prepared.Order[rank]);
            var key = PointKey(space, parameters);
            if (!held.Contains(key)) return new TrialProposal(parameters, key);
        }
        return null;
    }

    private Prepared Prepare(SearchSpace space, long size)
    {
        if (_prepared is { } cached && ReferenceEquals(cached.Space, space)) return cached;
        long[]? order = null;
        if (_seed is long seed)
        {
            if (size > MaxShuffledPoints)
                throw new ArgumentException($"a seeded grid order is limited to {MaxShuffledPoints:N0} points; this grid has {size:N0} (drop the seed)", nameof(space));
            // Fisher–Yates with the seed's stream: every worker derives the same permutation.
            order = new long[size];
            for (long i = 0; i < size; i++) order[i] = i;
            Core.Randomness.SeededRandom.ForPurpose(unchecked((ulong)seed), "tuning-grid-order").Shuffle(order.AsSpan());
        }
        return _prepared = new Prepared(space, space.Parameters.Select(Axis).ToArray(), order);
    }

    // The point with the given index in config order: mixed radix, the last parameter varying fastest.
    private static Dictionary<string, object?> Point(SearchSpace space, IReadOnlyList<object?>[] axes, long index)
    {
        var values = new object?[axes.Length];
        for (int a = axes.Length - 1; a >= 0; a--)
        {
            int n = axes[a].Count;
            values[a] = axes[a][(int)(index % n)];
            index /= n;
        }
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int a = 0; a < axes.Length; a++) parameters[space.Parameters[a].Key] = values[a];
        return parameters;
    }
}
