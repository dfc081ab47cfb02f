using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Splitting;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Splitting;

/// <summary>Issue 15 item 6: data.sample (a stratified slice) and data.oversample (random oversampling of minority classes).</summary>
public sealed class SampleAndOversampleTests
{
    private static readonly LabelSchema Three = new(TaskKind.Multiclass, ["a", "b", "c"]);

    [Fact]
    public void A_sample_keeps_every_class_within_one_example_of_its_share_and_is_reproducible()
    {
        var examples = SplitTestData.SingleLabel(500, 300, 37);
        var sample = DatasetSplitter.Sample(examples, Three, 0.1, seed: 5);
        Assert.InRange(sample.Count, 83, 84);
        foreach (var (c, size) in new[] { (0, 500), (1, 300), (2, 37) })
            Assert.InRange(sample.Count(e => e.Label == c), Math.Floor(size * 0.1), Math.Ceiling(size * 0.1));
        Assert.Equal(sample.Select(e => e.Id), DatasetSplitter.Sample(examples, Three, 0.1, seed: 5).Select(e => e.Id));
        Assert.NotEqual(sample.Select(e => e.Id), DatasetSplitter.Sample(examples, Three, 0.1, seed: 6).Select(e => e.Id));
        var order = examples.Select((e, i) => (e.Id, i)).ToDictionary(x => x.Id, x => x.i);
        Assert.Equal(sample.Select(e => order[e.Id]).Order(), sample.Select(e => order[e.Id]));   // input order kept
        Assert.Same(examples, DatasetSplitter.Sample(examples, Three, 1.0, seed: 5));
    }

    [Fact]
    public void A_sample_of_grouped_data_keeps_whole_groups()
    {
        var examples = SplitTestData.SingleLabel(200, 200).Select((e, i) => e with { Group = $"g{i % 40}" }).ToList();
        var sample = DatasetSplitter.Sample(examples, new LabelSchema(TaskKind.Binary, ["a", "b"]), 0.25, seed: 1);
        foreach (var group in sample.GroupBy(e => e.Group))
            Assert.Equal(examples.Count(e => e.Group == group.Key), group.Count());
    }

    [Fact]
    public void Oversampling_tops_every_class_up_to_the_largest_with_its_own_examples()
    {
        var train = SplitTestData.SingleLabel(50, 20, 5);
        var over = DatasetSplitter.Oversample(train, Three, seed: 3);
        Assert.Equal([50, 50, 50], Enumerable.Range(0, 3).Select(c => over.Count(e => e.Label == c)));
        Assert.Equal(train, over.Take(train.Count));   // originals first, copies after
        var ids = train.GroupBy(e => e.Label).ToDictionary(g => g.Key, g => g.Select(e => e.Id).ToHashSet());
        Assert.All(over.Skip(train.Count), e => Assert.Contains(e.Id, ids[e.Label]));
        Assert.Equal(over.Select(e => e.Id), DatasetSplitter.Oversample(train, Three, seed: 3).Select(e => e.Id));
        Assert.True(over.Skip(train.Count).Where(e => e.Label == 2).Select(e => e.Id).Distinct().Count() > 1);   // drawn, not one repeated
    }

    [Theory]
    [InlineData("  sample: 0\n", "data.sample")]
    [InlineData("  sample: -0.5\n", "data.sample")]
    [InlineData("  sample: 1.5\n", "data.sample")]
    [InlineData("  sample: many\n", "data.sample")]
    [InlineData("  multilabel: true\n  oversample: true\n", "data.oversample")]
    public void Bad_sample_and_oversample_settings_name_the_key(string config, string field)
    {
        using var dir = new TempFolder();
        var yaml = dir.Write("c.yaml", $"name: t\ndata:\n  path: x.csv\n{config}");
        var e = Assert.Throws<InputException>(() => ExperimentConfig.Load(yaml));
        Assert.Equal(field, e.Field);
        Assert.NotNull(e.Line);
    }
}
