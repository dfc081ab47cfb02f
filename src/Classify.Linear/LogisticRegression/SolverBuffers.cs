namespace Classify.Linear.LogisticRegression;

/// <summary>
/// Per-thread reuse of the solvers' work vectors, handed out zeroed and with exactly the requested length.
/// </summary>
/// <remarks>
/// A grid search runs hundreds of fits, each needing a dozen vectors of one entry per row or per feature. At text
/// sizes these are over 85 KB, so every one would land on the large-object heap, whose allocation budget triggers full,
/// all-threads-stopped collections: on the tweet benchmark that cost about 15 % of the search. A thread keeps at most
/// <see cref="MaxKeptPerThread"/> vectors; the rest are left to the GC.
/// </remarks>
internal static class SolverBuffers
{
    private const int MaxKeptPerThread = 64;

    [ThreadStatic] private static Dictionary<int, Stack<double[]>>? t_doubles;
    [ThreadStatic] private static Dictionary<int, Stack<int[]>>? t_ints;
    [ThreadStatic] private static int t_kept;

    /// <summary>A zeroed vector of exactly <paramref name="length"/> doubles.</summary>
    public static double[] Doubles(int length) => Take(ref t_doubles, length);

    /// <summary>A zeroed vector of exactly <paramref name="length"/> ints.</summary>
    public static int[] Ints(int length) => Take(ref t_ints, length);

    /// <summary>Gives vectors back for reuse on this thread; they must not be used afterwards.</summary>
    public static void Return(params double[][] arrays)
    {
        foreach (var a in arrays) Keep(ref t_doubles, a);
    }

    /// <summary>Gives an int vector back for reuse on this thread.</summary>
    public static void Return(int[] array) => Keep(ref t_ints, array);

    private static T[] Take<T>(ref Dictionary<int, Stack<T[]>>? pool, int length)
    {
        if (pool is not null && pool.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            t_kept--;
            Array.Clear(array);
            return array;
        }
        return new T[length];
    }

    private static void Keep<T>(ref Dictionary<int, Stack<T[]>>? pool, T[] array)
    {
        if (array.Length == 0 || t_kept >= MaxKeptPerThread) return;
        pool ??= new Dictionary<int, Stack<T[]>>();
        if (!pool.TryGetValue(array.Length, out var stack)) pool[array.Length] = stack = new Stack<T[]>();
        stack.Push(array);
        t_kept++;
    }
}
