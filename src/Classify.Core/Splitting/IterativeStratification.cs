using Classify.Core.Randomness;

namespace Classify.Core.Splitting;

/// <summary>
/// Iterative stratification for multi-label data (Sechidis, Tsoumakas and Vlahavas 2011, "On the stratification of
/// multi-label data"; the algorithm of scikit-multilearn's <c>IterativeStratification</c> and iterstrat): the label
/// with the fewest unassigned examples is distributed first, each of its examples going to the part that most
/// lacks that label (ties: the part that most lacks examples, then random). Examples without labels fill the parts
/// that most lack examples.
/// </summary>
public static class IterativeStratification
{
    /// <summary>
    /// Assigns each example to a part, 0 … <c>fractions.Length</c>−1, aiming at the given fractions of examples and
    /// of every label.
    /// </summary>
    /// <param name="labelSets">Label indices of each example.</param>
    /// <param name="numLabels">Number of labels.</param>
    /// <param name="fractions">Target share of each part (non-negative, summing to 1).</param>
    /// <param name="random">Source of the tie-breaking randomness.</param>
    public static int[] Assign(IReadOnlyList<int[]> labelSets, int numLabels, double[] fractions, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(labelSets);
        ArgumentNullException.ThrowIfNull(fractions);
        ArgumentNullException.ThrowIfNull(random);
        int n = labelSets.Count, parts = fractions.Length;
        var desired = fractions.Select(f => f * n).ToArray();
        var byLabel = new List<int>[numLabels];
        for (int l = 0; l < numLabels; l++) byLabel[l] = [];
        for (int i = 0; i < n; i++)
            foreach (int l in labelSets[i])
            {
                if ((uint)l >= (uint)numLabels) throw new ArgumentOutOfRangeException(nameof(labelSets), $"Example {i} has label index {l}.");
                byLabel[l].Add(i);
            }
        var desiredLabel = new double[numLabels][];
        for (int l = 0; l < numLabels; l++) desiredLabel[l] = fractions.Select(f => f * byLabel[l].Count).ToArray();

        var part = new int[n];
        Array.Fill(part, -1);
        var remaining = byLabel.Select(list => list.Count).ToArray();
        var candidates = new List<int>(parts);
        while (true)
        {
            // The label with the fewest unassigned examples (ties broken at random).
            int label = -1, fewest = int.MaxValue, ties = 0;
            for (int l = 0; l < numLabels; l++)
            {
                if (remaining[l] == 0) continue;
                if (remaining[l] < fewest) { fewest = remaining[l]; label = l; ties = 1; }
                else if (remaining[l] == fewest && random.NextInt(++ties) == 0) label = l;
            }
            if (label < 0) break;
            var members = byLabel[label].Where(i => part[i] < 0).ToArray();
            random.Shuffle(members.AsSpan());
            foreach (int i in members)
            {
                int p = ArgMax(desiredLabel[label], desired, fractions, candidates, random);
                Place(i, p);
            }
        }
        var unlabelled = Enumerable.Range(0, n).Where(i => part[i] < 0).ToArray();
        random.Shuffle(unlabelled.AsSpan());
        foreach (int i in unlabelled) Place(i, ArgMax(desired, desired, fractions, candidates, random));
        return part;

        void Place(int i, int p)
        {
            part[i] = p;
            desired[p] -= 1;
            foreach (int l in labelSets[i])
            {
                desiredLabel[l][p] -= 1;
                remaining[l]--;
            }
        }
    }

    // The part with the largest primary need, then the largest secondary need, then at random; parts whose target
    // fraction is zero never receive anything.
    private static int ArgMax(double[] primary, double[] secondary, double[] fractions, List<int> candidates, SeededRandom random)
    {
        candidates.Clear();
        for (int p = 0; p < primary.Length; p++)
        {
            if (fractions[p] <= 0) continue;
            if (candidates.Count == 0) { candidates.Add(p); continue; }
            int best = candidates[0];
            int cmp = Compare(primary[p], primary[best]);
            if (cmp == 0) cmp = Compare(secondary[p], secondary[best]);
            if (cmp > 0) { candidates.Clear(); candidates.Add(p); }
            else if (cmp == 0) candidates.Add(p);
        }
        return candidates.Count == 1 ? candidates[0] : candidates[random.NextInt(candidates.Count)];
    }

    private static int Compare(double a, double b) => Math.Abs(a - b) < 1e-9 ? 0 : a.CompareTo(b);
}
