using Classify.Core.Randomness;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>One parameter's importance.</summary>
/// <param name="Key">The config key.</param>
/// <param name="Importance">Share of the total importance (the shares sum to 1 unless every importance is 0).</param>
/// <param name="MseIncrease">Mean increase of the forest's out-of-bag squared error when the parameter is permuted.</param>
public sealed record ParameterImportanceValue(string Key, double Importance, double MseIncrease);

/// <summary>
/// How much each parameter mattered: <b>permutation importance on a random forest of the trials</b>. A regression forest
/// learns the objective from the parameters of the complete trials; a parameter's importance is how much the forest's
/// out-of-bag squared error grows when that parameter's values are shuffled among the out-of-bag trials of each tree
/// (Breiman 2001), averaged over trees, clipped at 0 and normalised to shares. Log-scale parameters enter on the log
/// scale, choices as their index (shuffling keeps the marginal distribution, so the encoding's order does not bias the
/// measure, only how easily trees split on it). Seeded: the same trials give the same importances.
/// </summary>
public static class ParameterImportance
{
    /// <summary>Trees in the forest.</summary>
    public const int Trees = 64;
    /// <summary>The fewest complete trials the importances are computed from.</summary>
    public const int MinimumTrials = 4;
    /// <summary>The method's name as the outputs state it.</summary>
    public const string Method = "permutation importance (out-of-bag) on a random forest of 64 regression trees fitted to the complete trials";

    private const int MaxDepth = 8;
    private const int MinLeaf = 1;

    /// <summary>
    /// The importances of <paramref name="space"/>'s parameters from the complete trials, most important first; empty when
    /// fewer than <see cref="MinimumTrials"/> complete trials exist or the objective never varied.
    /// </summary>
    public static IReadOnlyList<ParameterImportanceValue> Compute(SearchSpace space, IReadOnlyList<StudyTrial> trials, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(trials);
        var complete = trials.Where(t => t.State == TrialState.Complete && t.Value is { } v && double.IsFinite(v)
                                         && space.Parameters.All(p => t.Parameters.ContainsKey(p.Key))).ToArray();
        int n = complete.Length, d = space.Parameters.Count;
        if (n < MinimumTrials || d == 0) return [];
        var x = new double[n][];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = space.Parameters.Select(p => Encode(p, complete[i].Parameters[p.Key])).ToArray();
            y[i] = complete[i].Value!.Value;
        }
        if (y.Max() - y.Min() == 0) return [];

        var random = new SeededRandom(seed);
        var increase = new double[d];
        int treesWithOob = 0;
        for (int t = 0; t < Trees; t++)
        {
            var inBag = new int[n];
            var sample = new int[n];
            for (int i = 0; i < n; i++) inBag[sample[i] = random.NextInt(n)]++;
            var oob = Enumerable.Range(0, n).Where(i => inBag[i] == 0).ToArray();
            if (oob.Length < 2) continue;
            var tree = Node.Grow(x, y, sample, 0, random);
            double baseline = Mse(tree, x, y, oob, feature: -1, permutation: null);
            for (int j = 0; j < d; j++)
            {
                var shuffled = oob.ToArray();
                random.Shuffle(shuffled);
                increase[j] += Mse(tree, x, y, oob, j, shuffled) - baseline;
            }
            treesWithOob++;
        }
        if (treesWithOob == 0) return [];
        var mean = increase.Select(v => Math.Max(0, v / treesWithOob)).ToArray();
        double total = mean.Sum();
        return space.Parameters.Select((p, j) => new ParameterImportanceValue(p.Key, total > 0 ? mean[j] / total : 0, mean[j]))
            .OrderByDescending(v => v.Importance).ThenBy(v => v.Key, StringComparer.Ordinal).ToArray();
    }

    /// <summary>A parameter value as a number (for the forest and the charts): the value, its natural logarithm on a log scale, a choice's index.</summary>
    public static double Encode(ParameterDistribution distribution, object? value) => distribution switch
    {
        ChoiceDistribution c => Math.Max(0, c.IndexOf(value)),
        IntDistribution { Log: true } => Math.Log(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        FloatDistribution { Log: true } => Math.Log(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => value switch { long l => l, double v => v, bool b => b ? 1 : 0, _ => 0 },
    };

    // Squared error on the out-of-bag rows; with a permutation, feature j of row oob[k] is read from row permutation[k].
    private static double Mse(Node tree, double[][] x, double[] y, int[] oob, int feature, int[]? permutation)
    {
        double sum = 0;
        var row = new double[x[0].Length];
        for (int k = 0; k < oob.Length; k++)
        {
            Array.Copy(x[oob[k]], row, row.Length);
            if (permutation is not null) row[feature] = x[permutation[k]][feature];
            double e = tree.Predict(row) - y[oob[k]];
            sum += e * e;
        }
        return sum / oob.Length;
    }

    /// <summary>A regression tree: variance-reducing splits on a random third of the features at each node.</summary>
    private sealed class Node
    {
        private int _feature = -1;
        private double _threshold;
        private double _value;
        private Node? _left, _right;

        public double Predict(double[] row)
        {
            var node = this;
            while (node._feature >= 0) node = row[node._feature] <= node._threshold ? node._left! : node._right!;
            return node._value;
        }

        public static Node Grow(double[][] x, double[] y, int[] rows, int depth, SeededRandom random)
        {
            var node = new Node { _value = rows.Average(i => y[i]) };
            if (depth >= MaxDepth || rows.Length < 2 * MinLeaf || rows.All(i => y[i] == y[rows[0]])) return node;
            int d = x[0].Length;
            int tried = Math.Max(1, (int)Math.Ceiling(d / 3.0));
            var features = Enumerable.Range(0, d).ToArray();
            random.Shuffle(features);
            double bestScore = double.PositiveInfinity;
            foreach (var feature in features.Take(tried))
            {
                var sorted = rows.OrderBy(i => x[i][feature]).ToArray();
                double totalSum = sorted.Sum(i => y[i]), totalSquares = sorted.Sum(i => y[i] * y[i]);
                double leftSum = 0, leftSquares = 0;
                for (int k = 0; k < sorted.Length - 1; k++)
                {
                    leftSum += y[sorted[k]];
                    leftSquares += y[sorted[k]] * y[sorted[k]];
                    double a = x[sorted[k]][feature], b = x[sorted[k + 1]][feature];
                    if (a == b || k + 1 < MinLeaf || sorted.Length - k - 1 < MinLeaf) continue;
                    int nl = k + 1, nr = sorted.Length - nl;
                    double rightSum = totalSum - leftSum, rightSquares = totalSquares - leftSquares;
                    // Sum of squared deviations on both sides: what the split leaves unexplained.
                    double score = leftSquares - leftSum * leftSum / nl + rightSquares - rightSum * rightSum / nr;
                    if (score < bestScore)
                    {
                        bestScore = score;
                        node._feature = feature;
                        node._threshold = (a + b) / 2;
                    }
                }
            }
            if (node._feature < 0) return node;
            var left = rows.Where(i => x[i][node._feature] <= node._threshold).ToArray();
            var right = rows.Where(i => x[i][node._feature] > node._threshold).ToArray();
            node._left = Grow(x, y, left, depth + 1, random);
            node._right = Grow(x, y, right, depth + 1, random);
            return node;
        }
    }
}
