namespace Classify.Core.Splitting;

/// <summary>One cross-validation fold: indices (ascending) into the data passed to the splitter.</summary>
/// <param name="TrainIndices">Rows to fit on.</param>
/// <param name="TestIndices">Rows to score on.</param>
public readonly record struct Fold(int[] TrainIndices, int[] TestIndices)
{
    /// <summary>The <paramref name="k"/> folds of an assignment: fold f tests the rows assigned to f and trains on the others.</summary>
    /// <param name="testFold">The fold (0 to k − 1) each row is tested in.</param>
    /// <param name="k">Number of folds.</param>
    public static IReadOnlyList<Fold> FromAssignment(int[] testFold, int k)
    {
        ArgumentNullException.ThrowIfNull(testFold);
        var folds = new Fold[k];
        for (int f = 0; f < k; f++)
        {
            var test = new List<int>();
            var train = new List<int>();
            for (int i = 0; i < testFold.Length; i++) (testFold[i] == f ? test : train).Add(i);
            folds[f] = new Fold(train.ToArray(), test.ToArray());
        }
        return folds;
    }
}
