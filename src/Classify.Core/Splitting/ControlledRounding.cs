namespace Classify.Core.Splitting;

/// <summary>
/// Rounds the table of ideal counts <c>classCount[c] · fraction[s]</c> to integers so that every cell is the floor or
/// the ceiling of its ideal value (each class is within one example of its target in each part), every class keeps
/// its exact total, and every part's total is the floor or ceiling of <c>N · fraction[s]</c>. Such a rounding always
/// exists (Bacharach 1966); it is found as a feasible integral flow with lower bounds, and which cells round up is
/// randomised through the order in which the flow explores them.
/// </summary>
internal static class ControlledRounding
{
    private const double Tolerance = 1e-9;

    public static int[][] Round(int[] classCounts, double[] fractions, Randomness.SeededRandom rng)
    {
        int classes = classCounts.Length, parts = fractions.Length;
        long total = classCounts.Sum(c => (long)c);
        var counts = new int[classes][];
        var canRoundUp = new bool[classes, parts];
        var rowResidual = new int[classes];
        var colLower = new int[parts];
        var colUpper = new int[parts];
        for (int s = 0; s < parts; s++)
        {
            var (lo, hi) = FloorCeil(total * fractions[s]);
            colLower[s] = (int)lo;
            colUpper[s] = (int)hi;
        }
        for (int c = 0; c < classes; c++)
        {
            counts[c] = new int[parts];
            int assigned = 0;
            for (int s = 0; s < parts; s++)
            {
                var (lo, hi) = FloorCeil(classCounts[c] * fractions[s]);
                counts[c][s] = (int)lo;
                canRoundUp[c, s] = hi > lo;
                assigned += (int)lo;
                colLower[s] -= (int)lo;
                colUpper[s] -= (int)lo;
            }
            rowResidual[c] = classCounts[c] - assigned;
        }
        if (rowResidual.Sum() == 0) return counts;

        // Nodes: 0 source, 1 sink, 2 super-source, 3 super-sink, then parts, then classes in random order.
        int source = 0, sink = 1, superSource = 2, superSink = 3, firstPart = 4, firstClass = 4 + parts;
        var classNode = rng.Permutation(classes);
        var flow = new MaxFlow(firstClass + classes);
        // source -> class with exactly rowResidual[c] units: a lower bound equal to the capacity.
        for (int c = 0; c < classes; c++)
        {
            flow.Add(superSource, firstClass + classNode[c], rowResidual[c]);
            flow.Add(source, superSink, rowResidual[c]);
        }
        var cell = new int[classes, parts];
        var partOrder = rng.Permutation(parts);
        for (int c = 0; c < classes; c++)
            foreach (int s in partOrder)
                cell[c, s] = canRoundUp[c, s] ? flow.Add(firstClass + classNode[c], firstPart + s, 1) : -1;
        // part -> sink between colLower and colUpper units.
        for (int s = 0; s < parts; s++)
        {
            int lower = Math.Max(0, colLower[s]);
            flow.Add(firstPart + s, sink, Math.Max(0, colUpper[s] - lower));
            flow.Add(superSource, sink, lower);
            flow.Add(firstPart + s, superSink, lower);
        }
        flow.Add(sink, source, int.MaxValue / 4);
        int needed = rowResidual.Sum() + colLower.Sum(l => Math.Max(0, l));
        if (flow.Run(superSource, superSink) != needed)
            throw new InvalidOperationException("Controlled rounding found no feasible allocation; this is a bug.");
        for (int c = 0; c < classes; c++)
            for (int s = 0; s < parts; s++)
                if (cell[c, s] >= 0 && flow.FlowOn(cell[c, s]) > 0) counts[c][s]++;
        return counts;
    }

    private static (long Floor, long Ceil) FloorCeil(double x)
    {
        double r = Math.Round(x);
        if (Math.Abs(x - r) < Tolerance) return ((long)r, (long)r);
        return ((long)Math.Floor(x), (long)Math.Ceiling(x));
    }

    /// <summary>Edmonds–Karp on an edge list; graphs here have a few hundred nodes at most.</summary>
    private sealed class MaxFlow(int nodes)
    {
        private readonly List<int>[] _adjacent = Enumerable.Range(0, nodes).Select(_ => new List<int>()).ToArray();
        private readonly List<int> _to = [];
        private readonly List<int> _capacity = [];
        private readonly List<int> _original = [];

        public int Add(int from, int to, int capacity)
        {
            int id = _to.Count;
            _adjacent[from].Add(id);
            _to.Add(to);
            _capacity.Add(capacity);
            _original.Add(capacity);
            _adjacent[to].Add(id + 1);
            _to.Add(from);
            _capacity.Add(0);
            _original.Add(0);
            return id;
        }

        public int FlowOn(int edge) => _original[edge] - _capacity[edge];

        public int Run(int s, int t)
        {
            int total = 0;
            var parentEdge = new int[_adjacent.Length];
            while (true)
            {
                Array.Fill(parentEdge, -1);
                var queue = new Queue<int>();
                queue.Enqueue(s);
                parentEdge[s] = int.MaxValue;
                while (queue.Count > 0 && parentEdge[t] == -1)
                {
                    int u = queue.Dequeue();
                    foreach (int e in _adjacent[u])
                    {
                        int v = _to[e];
                        if (_capacity[e] > 0 && parentEdge[v] == -1)
                        {
                            parentEdge[v] = e;
                            queue.Enqueue(v);
                        }
                    }
                }
                if (parentEdge[t] == -1) return total;
                int push = int.MaxValue;
                for (int v = t; v != s; v = _to[parentEdge[v] ^ 1]) push = Math.Min(push, _capacity[parentEdge[v]]);
                for (int v = t; v != s; v = _to[parentEdge[v] ^ 1])
                {
                    _capacity[parentEdge[v]] -= push;
                    _capacity[parentEdge[v] ^ 1] += push;
                }
                total += push;
            }
        }
    }
}
