using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Randomness;
using Classify.Core.Splitting;

namespace Classify.Core.Tests.Splitting;

public class DatasetSplitterTests
{
    private static readonly LabelSchema ThreeClasses = new(TaskKind.Multiclass, ["a", "b", "c"]);

    [Theory]
    [InlineData(1000, 300, 37)]
    [InlineData(5, 7, 11)]
    [InlineData(101, 1, 3)]
    public void Stratified_split_keeps_every_class_within_one_example_of_its_target(int a, int b, int c)
    {
        var data = SplitTestData.SingleLabel(a, b, c);
        var split = DatasetSplitter.Split(data, ThreeClasses, new SplitOptions { Seed = 5 });
        Assert.Equal(SplitStrategy.Stratified, split.Strategy);
        double[] fractions = [0.70, 0.15, 0.15];
        int[] sizes = [a, b, c];
        var parts = new[] { split.Train, split.Val, split.Test };
        Assert.Equal(data.Count, parts.Sum(p => p.Count));
        for (int p = 0; p < 3; p++)
        {
            Assert.True(Math.Abs(parts[p].Count - data.Count * fractions[p]) < 1, $"split {p} has {parts[p].Count} of {data.Count}");
            for (int k = 0; k < 3; k++)
            {
                int count = parts[p].Count(e => e.Label == k);
                Assert.True(Math.Abs(count - sizes[k] * fractions[p]) < 1, $"class {k} in split {p}: {count}, target {sizes[k] * fractions[p]}");
            }
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_split_and_another_seed_a_different_one()
    {
        var data = SplitTestData.SingleLabel(200, 100, 50);
        var one = DatasetSplitter.Split(data, ThreeClasses, new SplitOptions { Seed = 42 }).ToIds();
        var two = DatasetSplitter.Split(data.ToList(), ThreeClasses, new SplitOptions { Seed = 42 }).ToIds();
        var other = DatasetSplitter.Split(data, ThreeClasses, new SplitOptions { Seed = 43 }).ToIds();
        Assert.Equal(one.Train, two.Train);
        Assert.Equal(one.Val, two.Val);
        Assert.Equal(one.Test, two.Test);
        Assert.NotEqual(one.Test, other.Test);
    }

    [Fact]
    public void Splits_partition_the_data_and_keep_data_order()
    {
        var data = SplitTestData.SingleLabel(30, 30, 30);
        var split = DatasetSplitter.Split(data, ThreeClasses);
        var all = split.Train.Concat(split.Val).Concat(split.Test).Select(e => e.Id).ToList();
        Assert.Equal(data.Select(e => e.Id).Order(), all.Order());
        var index = data.Select((e, i) => (e.Id, i)).ToDictionary(x => x.Id, x => x.i);
        Assert.True(split.Train.Select(e => index[e.Id]).SequenceEqual(split.Train.Select(e => index[e.Id]).Order()));
    }

    [Fact]
    public void Iterative_stratification_balances_labels_better_than_a_random_split()
    {
        double[] prevalence = [0.5, 0.3, 0.1, 0.04, 0.02];
        var schema = new LabelSchema(TaskKind.Multilabel, ["l0", "l1", "l2", "l3", "l4"]);
        double iterative = 0, random = 0;
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var data = SplitTestData.MultiLabel(600, prevalence, seed);
            var split = DatasetSplitter.Split(data, schema, new SplitOptions { Seed = seed });
            Assert.Equal(SplitStrategy.IterativeStratified, split.Strategy);
            iterative += LabelDeviation(data, [split.Train, split.Val, split.Test], 5);

            var r = new SeededRandom(seed + 100);
            var parts = new[] { new List<Example>(), new List<Example>(), new List<Example>() };
            foreach (var e in data)
            {
                double u = r.NextDouble();
                parts[u < 0.7 ? 0 : u < 0.85 ? 1 : 2].Add(e);
            }
            random += LabelDeviation(data, parts, 5);
        }
        Assert.True(iterative < random / 2, $"iterative {iterative:F1} vs random {random:F1}");
    }

    [Fact]
    public void Iterative_stratification_hits_the_split_sizes()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["x", "y", "z"]);
        var data = SplitTestData.MultiLabel(1000, [0.4, 0.2, 0.05], 9);
        var split = DatasetSplitter.Split(data, schema);
        Assert.InRange(split.Train.Count, 695, 705);
        Assert.InRange(split.Val.Count, 145, 155);
        Assert.InRange(split.Test.Count, 145, 155);
    }

    [Fact]
    public void Groups_never_span_two_splits_and_sizes_stay_close()
    {
        var r = new SeededRandom(11);
        var data = new List<Example>();
        for (int g = 0; g < 120; g++)
        {
            int size = 1 + r.NextInt(12);
            for (int j = 0; j < size; j++)
                data.Add(new Example($"g{g}-{j}", "t", [r.NextInt(3)], Group: $"call-{g}"));
        }
        var split = DatasetSplitter.Split(data, ThreeClasses, new SplitOptions { Seed = 3 });
        Assert.Equal(SplitStrategy.Grouped, split.Strategy);
        var groupsOf = new[] { split.Train, split.Val, split.Test }.Select(p => p.Select(e => e.Group).ToHashSet()).ToArray();
        Assert.Empty(groupsOf[0].Intersect(groupsOf[1]));
        Assert.Empty(groupsOf[0].Intersect(groupsOf[2]));
        Assert.Empty(groupsOf[1].Intersect(groupsOf[2]));
        Assert.Equal(data.Count, split.Train.Count + split.Val.Count + split.Test.Count);
        Assert.InRange(split.Test.Count / (double)data.Count, 0.12, 0.18);
        Assert.InRange(split.Val.Count / (double)data.Count, 0.12, 0.18);
        for (int k = 0; k < 3; k++)
            Assert.InRange(split.Test.Count(e => e.Label == k) / (double)data.Count(e => e.Label == k), 0.09, 0.21);
    }

    [Fact]
    public void Few_groups_still_fill_every_split()
    {
        var data = Enumerable.Range(0, 3).SelectMany(g =>
            Enumerable.Range(0, 10 - g).Select(j => new Example($"{g}-{j}", "t", [j % 3], Group: $"G{g}"))).ToList();
        var split = DatasetSplitter.Split(data, ThreeClasses);
        Assert.NotEmpty(split.Val);
        Assert.NotEmpty(split.Test);
        var two = data.Where(e => e.Group != "G2").ToList();
        var e = Assert.Throws<InputException>(() => DatasetSplitter.Split(two, ThreeClasses));
        Assert.Contains("2 groups", e.Message);
    }

    [Fact]
    public void Predefined_splits_are_honoured_with_aliases()
    {
        var data = new List<Example>
        {
            new("1", "t", [0], Split: "train"), new("2", "t", [1], Split: "TRAIN"), new("3", "t", [2], Split: " Validation "),
            new("4", "t", [0], Split: "dev"), new("5", "t", [1], Split: "test"),
        };
        var split = DatasetSplitter.Split(data, ThreeClasses);
        Assert.Equal(SplitStrategy.Predefined, split.Strategy);
        Assert.Equal(["1", "2"], split.Train.Select(e => e.Id));
        Assert.Equal(["3", "4"], split.Val.Select(e => e.Id));
        Assert.Equal(["5"], split.Test.Select(e => e.Id));
    }

    [Fact]
    public void Predefined_train_and_test_get_a_validation_split_carved_from_train()
    {
        var data = SplitTestData.SingleLabel(170, 85, 34)
            .Select((e, i) => e with { Split = i % 10 == 0 ? "test" : "train" }).ToList();
        int trainCount = data.Count(e => e.Split == "train");
        var split = DatasetSplitter.Split(data, ThreeClasses);
        Assert.Equal(data.Where(e => e.Split == "test").Select(e => e.Id), split.Test.Select(e => e.Id));
        // val : train = 0.15 : 0.70 of the predefined train rows, stratified.
        double valShare = 0.15 / 0.85;
        Assert.True(Math.Abs(split.Val.Count - trainCount * valShare) < 1);
        for (int k = 0; k < 3; k++)
        {
            int classInTrain = data.Count(e => e.Split == "train" && e.Label == k);
            Assert.True(Math.Abs(split.Val.Count(e => e.Label == k) - classInTrain * valShare) < 1);
        }
        Assert.Equal(trainCount, split.Train.Count + split.Val.Count);
    }

    [Fact]
    public void Unknown_or_partial_split_values_are_input_errors()
    {
        var unknown = new List<Example> { new("1", "t", [0], Split: "train"), new("2", "t", [1], Split: "holdout") };
        var e = Assert.Throws<InputException>(() => DatasetSplitter.Split(unknown, ThreeClasses));
        Assert.Contains("holdout", e.Message);
        Assert.Equal("split", e.Field);

        var partial = new List<Example> { new("1", "t", [0], Split: "train"), new("2", "t", [1]) };
        Assert.Throws<InputException>(() => DatasetSplitter.Split(partial, ThreeClasses));
        var ignored = DatasetSplitter.Split(SplitTestData.SingleLabel(20, 20, 20).Select(x => x with { Split = "train" }).ToList(),
            ThreeClasses, new SplitOptions { UsePredefined = false });
        Assert.Equal(SplitStrategy.Stratified, ignored.Strategy);
    }

    [Fact]
    public void Bad_datasets_are_input_errors()
    {
        var duplicate = new List<Example> { new("1", "t", [0]), new("1", "u", [1]) };
        Assert.Throws<InputException>(() => DatasetSplitter.Split(duplicate, ThreeClasses));
        Assert.Throws<InputException>(() => DatasetSplitter.Split([], ThreeClasses));
        Assert.Throws<InputException>(() => DatasetSplitter.Split([new Example("1", "t", [])], ThreeClasses));
        var tiny = SplitTestData.SingleLabel(2, 1, 0);
        Assert.Throws<InputException>(() => DatasetSplitter.Split(tiny, ThreeClasses));
    }

    [Fact]
    public void Fractions_are_validated_and_honoured()
    {
        Assert.Throws<ArgumentException>(() => new SplitFractions(0.5, 0.2, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitFractions(0, 0.5, 0.5));
        var data = SplitTestData.SingleLabel(50, 50);
        var schema = new LabelSchema(TaskKind.Binary, ["no", "yes"]);
        var split = DatasetSplitter.Split(data, schema, new SplitOptions { Fractions = new SplitFractions(0.8, 0, 0.2) });
        Assert.Equal(80, split.Train.Count);
        Assert.Empty(split.Val);
        Assert.Equal(20, split.Test.Count);
        Assert.Equal(10, split.Test.Count(e => e.Label == 1));
    }

    [Fact]
    public void Summary_counts_labels_per_split()
    {
        var data = SplitTestData.SingleLabel(100, 60, 40);
        var split = DatasetSplitter.Split(data, ThreeClasses);
        var summary = split.Summarize(ThreeClasses);
        Assert.Equal(["train", "val", "test"], summary.Rows.Select(r => r.Split));
        var train = summary.Rows[0];
        Assert.Equal(140, train.Count);
        Assert.Equal(70.0, train.Percentage, 1e-9);
        Assert.Equal([70, 42, 28], train.LabelCounts);
        Assert.Equal(50.0, train.LabelPercentages[0], 1e-9);
        Assert.Equal(30, summary.Sizes()["test"]);
        Assert.Equal(9, summary.ClassCounts()["val"]["b"]);
    }

    // Sum over splits and labels of |label count in split − target|.
    private static double LabelDeviation(List<Example> data, IReadOnlyList<IReadOnlyList<Example>> parts, int labels)
    {
        double[] fractions = [0.70, 0.15, 0.15];
        double total = 0;
        for (int l = 0; l < labels; l++)
        {
            int all = data.Count(e => e.Labels.Contains(l));
            for (int p = 0; p < 3; p++) total += Math.Abs(parts[p].Count(e => e.Labels.Contains(l)) - all * fractions[p]);
        }
        return total;
    }
}
