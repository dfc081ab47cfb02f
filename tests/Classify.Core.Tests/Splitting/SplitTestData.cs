using Classify.Core.Data;
using Classify.Core.Randomness;

namespace Classify.Core.Tests.Splitting;

internal static class SplitTestData
{
    /// <summary>Single-label examples: <paramref name="classSizes"/>[c] examples of class c, classes interleaved.</summary>
    public static List<Example> SingleLabel(params int[] classSizes)
    {
        var list = new List<Example>();
        var left = (int[])classSizes.Clone();
        int id = 0;
        while (left.Any(n => n > 0))
            for (int c = 0; c < left.Length; c++)
                if (left[c]-- > 0) list.Add(new Example($"ex{id++}", $"text {id}", [c]));
        return list;
    }

    /// <summary>Multi-label examples with label l present with probability prevalence[l].</summary>
    public static List<Example> MultiLabel(int n, double[] prevalence, ulong seed)
    {
        var r = new SeededRandom(seed);
        return Enumerable.Range(0, n).Select(i => new Example($"m{i}", $"text {i}",
            Enumerable.Range(0, prevalence.Length).Where(l => r.NextDouble() < prevalence[l]).ToArray())).ToList();
    }
}
