using Classify.Core.Data;
using Classify.Core.Randomness;

namespace Classify.Core.Splitting;

/// <summary>
/// Assigns whole groups to parts: groups are shuffled, then taken largest first, each going to the part that is
/// furthest below its targets, counting both its size target and the targets of the labels the group carries.
/// Every part with a positive fraction receives at least one group when there are enough groups.
/// </summary>
internal static class GroupAllocation
{
    public static int[] Assign(IReadOnlyList<Example> examples, int numLabels, double[] fractions, SeededRandom random)
    {
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var members = new List<List<int>>();
        for (int i = 0; i < examples.Count; i++)
        {
            // An example without a group is a group of one; the NUL prefix keeps its key apart from real group names.
            var key = string.IsNullOrEmpty(examples[i].Group) ? "\0" + examples[i].Id : examples[i].Group!;
            if (!groupIndex.TryGetValue(key, out int g))
            {
                g = members.Count;
                groupIndex[key] = g;
                members.Add([]);
            }
            members[g].Add(i);
        }
        int groups = members.Count, parts = fractions.Length;
        var labelCounts = new int[groups][];
        var labelTotals = new double[numLabels];
        for (int g = 0; g < groups; g++)
        {
            labelCounts[g] = new int[numLabels];
            foreach (int i in members[g])
                foreach (int l in examples[i].Labels) { labelCounts[g][l]++; labelTotals[l]++; }
        }

        var sizeTarget = fractions.Select(f => f * examples.Count).ToArray();
        var sizeAssigned = new double[parts];
        var labelAssigned = new double[numLabels, parts];
        var order = random.Permutation(groups);
        order = order.OrderByDescending(g => members[g].Count).ToArray(); // stable: ties keep the shuffled order
        var groupPart = new int[groups];
        foreach (int g in order)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity, bestDeficit = double.NegativeInfinity;
            int size = members[g].Count;
            for (int p = 0; p < parts; p++)
            {
                if (fractions[p] <= 0) continue;
                double deficit = sizeTarget[p] - sizeAssigned[p];
                double score = deficit / sizeTarget[p];
                for (int l = 0; l < numLabels; l++)
                {
                    if (labelCounts[g][l] == 0) continue;
                    double target = labelTotals[l] * fractions[p];
                    score += (double)labelCounts[g][l] / size * (target - labelAssigned[l, p]) / target;
                }
                // Ties go to the part with the larger absolute deficit (train first on an empty start).
                if (score > bestScore + 1e-12 || (Math.Abs(score - bestScore) <= 1e-12 && deficit > bestDeficit))
                {
                    best = p;
                    bestScore = score;
                    bestDeficit = deficit;
                }
            }
            groupPart[g] = best;
            sizeAssigned[best] += size;
            for (int l = 0; l < numLabels; l++) labelAssigned[l, best] += labelCounts[g][l];
        }

        // A part left empty takes the smallest group of the part holding the most groups.
        for (int p = 0; p < parts; p++)
        {
            if (fractions[p] <= 0 || groupPart.Contains(p)) continue;
            var donor = Enumerable.Range(0, parts).OrderByDescending(q => groupPart.Count(x => x == q)).First();
            if (groupPart.Count(x => x == donor) < 2) break;
            var smallest = Enumerable.Range(0, groups).Where(g => groupPart[g] == donor).MinBy(g => members[g].Count);
            groupPart[smallest] = p;
        }

        var part = new int[examples.Count];
        for (int g = 0; g < groups; g++)
            foreach (int i in members[g]) part[i] = groupPart[g];
        return part;
    }
}
