using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Splitting;

namespace Classify.Core.Tests.Splitting;

public sealed class SplitIdsTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Saved_ids_round_trip_including_ids_that_need_quoting()
    {
        var ids = new SplitIds(["a", "with,comma", "with \"quote\""], ["multi\nline", " padded "], ["z"]);
        ids.Save(_dir);
        Assert.Equal("id\na\n\"with,comma\"\n\"with \"\"quote\"\"\"\n", File.ReadAllText(Path.Combine(_dir, "train_ids.csv")));
        var loaded = SplitIds.TryLoad(_dir)!;
        Assert.Equal(ids.Train, loaded.Train);
        Assert.Equal(ids.Val, loaded.Val);
        Assert.Equal(ids.Test, loaded.Test);
    }

    [Fact]
    public void Applying_saved_ids_reproduces_the_split()
    {
        var data = SplitTestData.SingleLabel(40, 30, 20);
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        var split = DatasetSplitter.Split(data, schema, new SplitOptions { Seed = 9 });
        split.ToIds().Save(_dir);
        var again = SplitIds.TryLoad(_dir)!.Apply(data);
        Assert.Equal(SplitStrategy.Saved, again.Strategy);
        Assert.Equal(split.Train, again.Train);
        Assert.Equal(split.Val, again.Val);
        Assert.Equal(split.Test, again.Test);
        Assert.Empty(again.Unassigned);
    }

    [Fact]
    public void No_files_means_no_saved_split_and_missing_files_are_errors()
    {
        Assert.Null(SplitIds.TryLoad(_dir));
        File.WriteAllText(Path.Combine(_dir, "train_ids.csv"), "id\n1\n");
        var e = Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir));
        Assert.Contains("val_ids.csv", e.Message);
    }

    [Fact]
    public void An_id_missing_from_the_data_names_its_file_and_line()
    {
        new SplitIds(["1", "2"], ["3"], ["gone"]).Save(_dir);
        var data = new[] { "1", "2", "3" }.Select(id => new Example(id, "t", [0])).ToList();
        var e = Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir)!.Apply(data));
        Assert.EndsWith("test_ids.csv", e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains("'gone'", e.Message);
    }

    [Fact]
    public void An_id_in_two_files_is_an_error()
    {
        new SplitIds(["1", "2"], ["2"], ["3"]).Save(_dir);
        var data = new[] { "1", "2", "3" }.Select(id => new Example(id, "t", [0])).ToList();
        var e = Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir)!.Apply(data));
        Assert.EndsWith("val_ids.csv", e.File);
        Assert.Contains("train_ids.csv", e.Message);
    }

    [Fact]
    public void Data_rows_in_no_file_are_reported_as_unassigned()
    {
        new SplitIds(["1"], ["2"], ["3"]).Save(_dir);
        var data = new[] { "1", "2", "3", "new" }.Select(id => new Example(id, "t", [0])).ToList();
        var split = SplitIds.TryLoad(_dir)!.Apply(data);
        Assert.Equal(["new"], split.Unassigned.Select(x => x.Id));
        Assert.Single(split.Train);
    }

    [Fact]
    public void Malformed_files_are_input_errors_with_locations()
    {
        new SplitIds(["1"], ["2"], ["3"]).Save(_dir);
        File.WriteAllText(Path.Combine(_dir, "val_ids.csv"), "identifier\n2\n");
        var header = Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir));
        Assert.Equal(1, header.Line);

        File.WriteAllText(Path.Combine(_dir, "val_ids.csv"), "id\n2\n2,x\n");
        var columns = Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir));
        Assert.Equal(3, columns.Line);

        File.WriteAllText(Path.Combine(_dir, "val_ids.csv"), "id\r\n2\r\n\"open\r\n");
        Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir));

        File.WriteAllText(Path.Combine(_dir, "val_ids.csv"), "id\n2\n2\n");
        Assert.Equal(3, Assert.Throws<InputException>(() => SplitIds.TryLoad(_dir)).Line);
    }
}
