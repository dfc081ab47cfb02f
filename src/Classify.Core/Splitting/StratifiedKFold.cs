using Classify.Core.IO;
using Classify.Core.Randomness;

namespace Classify.Core.Splitting;

/// <summary>
/// Shuffled, stratified k-fold cross-validation with scikit-learn's <c>StratifiedKFold(shuffle=True)</c> semantics:
/// rows sorted by class are dealt to folds in turn, so fold sizes differ by at most one and each class is spread as
/// evenly as possible (its count per fold differs by at most one); which rows of a class go to which fold is shuffled
/// with <see cref="SeededRandom"/>. The folds are not bit-identical to scikit-learn's, whose shuffles use NumPy's generator.
/// </summary>
public static class StratifiedKFold
{
    /// <summary>Splits rows with class labels <paramref name="labels"/> into <paramref name="k"/> folds.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 2.</exception>
    /// <exception cref="InputException">There are fewer rows than folds, or every class has fewer members than folds.</exception>
    public static IReadOnlyList<Fold> Split(int[] labels, int k, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckFoldCount(k, labels.Length);
        int classes = labels.Length == 0 ? 0 : labels.Max() + 1;
        if (labels.Any(l => l < 0)) throw new ArgumentOutOfRangeException(nameof(labels), "Class labels must be non-negative.");
        var counts = new int[classes];
        foreach (int l in labels) counts[l]++;
        if (counts.Where(c => c > 0).All(c => c < k))
            throw new InputException($"Cannot make {k} stratified folds: every class has fewer than {k} examples (largest class: {counts.Max()}).");

        // As scikit-learn: deal rows, sorted by class, to folds 0, 1, …, k−1, 0, 1, … to fix how many of each class
        // each fold gets, then shuffle the fold numbers within each class.
        var random = SeededRandom.ForPurpose(seed, "stratified-kfold");
        var members = new List<int>[classes];
        for (int c = 0; c < classes; c++) members[c] = new List<int>(counts[c]);
        for (int i = 0; i < labels.Length; i++) members[labels[i]].Add(i);
        var testFold = new int[labels.Length];
        int position = 0;
        for (int c = 0; c < classes; c++)
        {
            var foldsForClass = new int[counts[c]];
            for (int j = 0; j < counts[c]; j++) foldsForClass[j] = (position + j) % k;
            position += counts[c];
            random.Shuffle(foldsForClass.AsSpan());
            for (int j = 0; j < counts[c]; j++) testFold[members[c][j]] = foldsForClass[j];
        }
        return Fold.FromAssignment(testFold, k);
    }

    internal static void CheckFoldCount(int k, int rows)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "Cross-validation needs at least 2 folds.");
        if (k > rows) throw new InputException($"Cannot make {k} folds from {rows} examples.");
    }
}

/// <summary>
/// Multi-label k-fold cross-validation by iterative stratification (<see cref="IterativeStratification"/>; the
/// algorithm of iterstrat's <c>MultilabelStratifiedKFold</c>): each fold receives about 1/k of the examples and of
/// every label.
/// </summary>
public static class MultilabelStratifiedKFold
{
    /// <summary>Splits rows with label sets <paramref name="labelSets"/> into <paramref name="k"/> folds.</summary>
    public static IReadOnlyList<Fold> Split(IReadOnlyList<int[]> labelSets, int numLabels, int k, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labelSets);
        StratifiedKFold.CheckFoldCount(k, labelSets.Count);
        var fractions = Enumerable.Repeat(1.0 / k, k).ToArray();
        var assignment = IterativeStratification.Assign(labelSets, numLabels, fractions,
            SeededRandom.ForPurpose(seed, "multilabel-kfold"));
        return Fold.FromAssignment(assignment, k);
    }
}
