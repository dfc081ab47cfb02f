using Classify.Core.IO;
using Classify.Core.Splitting;

namespace Classify.Core.Tests.Splitting;

public class KFoldTests
{
    [Fact]
    public void FromAssignment_tests_each_row_in_its_fold_and_trains_on_the_others()
    {
        var folds = Fold.FromAssignment([1, 0, 1, 2, 0], 3);
        Assert.Equal([1, 4], folds[0].TestIndices);
        Assert.Equal([0, 2, 3], folds[0].TrainIndices);
        Assert.Equal([3], folds[2].TestIndices);
    }

    [Fact]
    public void Stratified_folds_partition_rows_and_balance_each_class()
    {
        var labels = Enumerable.Range(0, 103).Select(i => i % 7 == 0 ? 2 : i % 3 == 0 ? 1 : 0).ToArray();
        var folds = StratifiedKFold.Split(labels, 5, seed: 42);
        Assert.Equal(5, folds.Count);
        Assert.Equal(Enumerable.Range(0, labels.Length), folds.SelectMany(f => f.TestIndices).Order());
        foreach (var (train, test) in folds)
        {
            Assert.Equal(labels.Length, train.Length + test.Length);
            Assert.Empty(train.Intersect(test));
            Assert.InRange(test.Length, 20, 21);
            for (int c = 0; c < 3; c++)
            {
                double target = labels.Count(l => l == c) / 5.0;
                Assert.True(Math.Abs(test.Count(i => labels[i] == c) - target) < 1);
            }
        }
    }

    [Fact]
    public void Stratified_folds_are_deterministic_per_seed()
    {
        var labels = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
        var a = StratifiedKFold.Split(labels, 3, 1);
        var b = StratifiedKFold.Split(labels, 3, 1);
        var c = StratifiedKFold.Split(labels, 3, 2);
        Assert.Equal(a[0].TestIndices, b[0].TestIndices);
        Assert.NotEqual(a[0].TestIndices, c[0].TestIndices);
    }

    [Fact]
    public void Stratified_fold_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedKFold.Split([0, 1, 0, 1], 1, 0));
        Assert.Throws<InputException>(() => StratifiedKFold.Split([0, 1, 0], 4, 0));
        Assert.Throws<InputException>(() => StratifiedKFold.Split([0, 1, 2, 3, 0, 1], 3, 0));
        Assert.Equal(3, StratifiedKFold.Split([0, 0, 0, 1], 3, 0).Count); // a small class only gets fewer rows
    }

    [Fact]
    public void Multilabel_folds_partition_rows_and_balance_labels()
    {
        var data = SplitTestData.MultiLabel(500, [0.5, 0.2, 0.05], 4);
        var sets = data.Select(e => e.Labels).ToList();
        var folds = MultilabelStratifiedKFold.Split(sets, 3, 5, seed: 8);
        Assert.Equal(Enumerable.Range(0, 500), folds.SelectMany(f => f.TestIndices).Order());
        foreach (var fold in folds)
        {
            Assert.InRange(fold.TestIndices.Length, 98, 102);
            for (int l = 0; l < 3; l++)
            {
                double target = sets.Count(s => s.Contains(l)) / 5.0;
                Assert.True(Math.Abs(fold.TestIndices.Count(i => sets[i].Contains(l)) - target) <= 1.5);
            }
        }
    }
}
