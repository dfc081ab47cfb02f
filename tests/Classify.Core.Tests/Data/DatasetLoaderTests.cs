using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Tests.Data;

public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Loads_single_label_csv_with_observed_sorted_labels_and_row_number_ids()
    {
        var path = _dir.Write("t.csv", "text,label\ngood,pos\nbad,neg\nmeh,neutral\n");
        var data = DatasetLoader.Load(path, new DatasetOptions());
        Assert.Equal(TaskKind.Multiclass, data.Schema.Kind);
        Assert.Equal(["neg", "neutral", "pos"], data.Schema.Labels);
        Assert.Equal(["1", "2", "3"], data.Examples.Select(e => e.Id));
        Assert.Equal([2, 0, 1], data.Examples.Select(e => e.Label));
        Assert.Equal(3, data.Stats.RowsRead);
        Assert.Equal(3, data.Stats.RowsUsed);
        Assert.Equal(64, data.Stats.Sha256.Length);
        Assert.Equal(1, data.LabelCounts()["neg"]);
    }

    [Fact]
    public void Integer_labels_without_names_sort_numerically_and_two_labels_make_a_binary_task()
    {
        var path = _dir.Write("n.csv", "text,label\na,10\nb,2\nc,10\n");
        var data = DatasetLoader.Load(path, new DatasetOptions());
        Assert.Equal(TaskKind.Binary, data.Schema.Kind);
        Assert.Equal(["2", "10"], data.Schema.Labels);
    }

    [Fact]
    public void Labels_half_numbers_half_names_load_as_separate_classes_with_a_warning()
    {
        var path = _dir.Write("mixed.csv", "text,label\na,0\nb,negative\nc,1\nd,positive\n");
        var data = DatasetLoader.Load(path, new DatasetOptions());
        Assert.Equal(4, data.Schema.Count);
        var warning = Assert.Single(data.Stats.Warnings);
        Assert.Contains("mixes integer labels (0, 1) with names (negative, positive)", warning);
        Assert.Empty(DatasetLoader.Load(_dir.Write("names.csv", "text,label\na,x\nb,y\n"), new DatasetOptions()).Stats.Warnings);
    }

    [Fact]
    public void Missing_column_names_it_and_lists_the_available_columns()
    {
        var path = _dir.Write("m.csv", "id,sentence,sentiment\n1,hi,pos\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { TextColumn = "sentence" }));
        Assert.Contains("'label'", e.Message);
        Assert.Contains("'id', 'sentence', 'sentiment'", e.Message);
        Assert.Equal("label_col", e.Field);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void Missing_column_in_a_headerless_file_explains_positional_addressing()
    {
        var path = _dir.Write("h.tsv", "hi\t1\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { HasHeader = false }));
        Assert.Contains("0-based index", e.Message);
        var ok = DatasetLoader.Load(_dir.Write("h2.tsv", "hi\t1\nho\t0\n"), new DatasetOptions { HasHeader = false, TextColumn = "0", LabelColumn = "1" });
        Assert.Equal(["0", "1"], ok.Schema.Labels);
    }

    [Fact]
    public void Multilabel_delimited_lists_json_arrays_and_integer_indices_into_a_names_file()
    {
        _dir.Write("names.txt", "joy\nlove\nanger\n");
        var path = _dir.Write("ml.csv",
            "id,text,labels\n" +
            "a,one,\"joy, love\"\n" +
            "b,two,\"[\"\"anger\"\"]\"\n" +
            "c,three,2\n" +
            "d,four,\"[0, 1]\"\n" +
            "e,five,\n");
        var data = DatasetLoader.Load(path, new DatasetOptions
        {
            IdColumn = "id", LabelColumn = "labels", Multilabel = true, LabelNamesFile = "names.txt",
        });
        Assert.Equal(TaskKind.Multilabel, data.Schema.Kind);
        Assert.Equal(["joy", "love", "anger"], data.Schema.Labels);
        Assert.Equal(new[] { new[] { 0, 1 }, [2], [2], [0, 1], [] }, data.Examples.Select(e => e.Labels));
    }

    [Theory]
    [InlineData("|")]
    [InlineData(";")]
    public void Multilabel_delimiter_can_be_pipe_or_semicolon(string delimiter)
    {
        var path = _dir.Write("d.csv", $"text,label\nx,a{delimiter}b\ny,b\n");
        var data = DatasetLoader.Load(path, new DatasetOptions { Multilabel = true, LabelDelimiter = delimiter });
        Assert.Equal(["a", "b"], data.Schema.Labels);
        Assert.Equal([0, 1], data.Examples[0].Labels);
    }

    [Fact]
    public void Unknown_label_in_a_multilabel_list_names_file_line_field_value_and_allowed_labels()
    {
        var path = _dir.Write("u.csv", "text,label\nok,joy\n\"multi\nline\",\"joy,hapiness\"\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions
        {
            Multilabel = true, Labels = ["joy", "sadness", "happiness"],
        }));
        Assert.Equal(path, e.File);
        Assert.Equal(3, e.Line);
        Assert.Equal("label", e.Field);
        Assert.Contains("'hapiness'", e.Message);
        Assert.Contains("joy, sadness, happiness", e.Message);
    }

    [Fact]
    public void Allowed_labels_are_truncated_in_the_error()
    {
        var labels = Enumerable.Range(0, 40).Select(i => $"label{i}").ToArray();
        var path = _dir.Write("many.csv", "text,label\nx,nope\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { Labels = labels }));
        Assert.Contains("(40 in total)", e.Message);
        Assert.DoesNotContain("label39", e.Message);
    }

    [Fact]
    public void Out_of_range_label_index_and_list_in_single_label_task_are_errors()
    {
        var names = _dir.Write("n.txt", "a\nb\n");
        var path = _dir.Write("r.csv", "text,label\nx,5\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { LabelNamesFile = names }));
        Assert.Contains("out of range", e.Message);
        var list = _dir.Write("l.csv", "text,label\nx,\"a,b\"\n");
        e = Assert.Throws<InputException>(() => DatasetLoader.Load(list, new DatasetOptions { Labels = ["a", "b"] }));
        Assert.Contains("multilabel: true", e.Message);
    }

    [Fact]
    public void One_indicator_column_per_label()
    {
        var path = _dir.Write("ind.csv", "text,toxic,obscene,insult\na,1,0,1\nb,0,0,0\nc,0,1.0,false\n");
        var data = DatasetLoader.Load(path, new DatasetOptions { LabelColumns = ["toxic", "obscene", "insult"] });
        Assert.Equal(TaskKind.Multilabel, data.Schema.Kind);
        Assert.Equal(["toxic", "obscene", "insult"], data.Schema.Labels);
        Assert.Equal(new[] { new[] { 0, 2 }, [], [1] }, data.Examples.Select(e => e.Labels));
        var bad = _dir.Write("bad.csv", "text,toxic\na,yes\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(bad, new DatasetOptions { LabelColumns = ["toxic"] }));
        Assert.Equal("toxic", e.Field);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void JsonLines_labels_may_be_strings_integers_or_arrays()
    {
        var path = _dir.Write("d.jsonl",
            "{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":\"0\"}\n");
        var single = DatasetLoader.Load(path, new DatasetOptions { Labels = ["neg", "pos"] });
        Assert.Equal([1, 0], single.Examples.Select(e => e.Label));

        var multi = _dir.Write("m.jsonl", "{\"text\":\"a\",\"labels\":[\"joy\",\"love\"]}\n{\"text\":\"b\",\"labels\":[]}\n");
        var data = DatasetLoader.Load(multi, new DatasetOptions { LabelColumn = "labels", Multilabel = true });
        Assert.Equal(["joy", "love"], data.Schema.Labels);
        Assert.Empty(data.Examples[1].Labels);

        var missing = _dir.Write("x.jsonl", "{\"text\":\"a\",\"label\":1}\n{\"txt\":\"b\",\"label\":0}\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(missing, new DatasetOptions()));
        Assert.Equal(2, e.Line);
        Assert.Contains("'txt', 'label'", e.Message);
    }

    [Fact]
    public void Empty_texts_and_exact_duplicates_are_dropped_and_conflicts_reported()
    {
        var path = _dir.Write("dup.csv",
            "id,text,label\n" +
            "a,hello world,pos\n" +
            "b,  ,neg\n" +
            "c, hello   world ,pos\n" +    // same text after whitespace collapse, same label: dropped
            "d,hello world,neg\n" +        // conflicting label: kept, reported
            "e,hello world,neg\n" +        // repeats d: dropped
            "f,other,neg\n");
        var data = DatasetLoader.Load(path, new DatasetOptions { IdColumn = "id" });
        Assert.Equal(["a", "d", "f"], data.Examples.Select(e => e.Id));
        Assert.Equal(6, data.Stats.RowsRead);
        Assert.Equal(3, data.Stats.RowsUsed);
        Assert.Equal(1, data.Stats.EmptyDropped);
        Assert.Equal(2, data.Stats.DuplicatesDropped);
        Assert.Equal(1, data.Stats.ConflictingDuplicates);
        Assert.Equal(["d"], data.Stats.ConflictingDuplicateIds);

        var kept = DatasetLoader.Load(path, new DatasetOptions { IdColumn = "id", DropDuplicates = false });
        Assert.Equal(5, kept.Count);
    }

    [Fact]
    public void Duplicates_in_different_splits_are_kept()
    {
        var path = _dir.Write("s.csv", "text,label,split\nx,a,train\nx,a,dev\ny,b,TEST\n");
        var data = DatasetLoader.Load(path, new DatasetOptions { SplitColumn = "split" });
        Assert.Equal(["train", "val", "test"], data.Examples.Select(e => e.Split));
        var bad = _dir.Write("b.csv", "text,label,split\nx,a,holdout\ny,b,train\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(bad, new DatasetOptions { SplitColumn = "split" }));
        Assert.Contains("'holdout'", e.Message);
    }

    [Fact]
    public void Duplicate_and_empty_ids_are_errors()
    {
        var path = _dir.Write("ids.csv", "id,text,label\n7,a,x\n8,b,y\n7,c,x\n");
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { IdColumn = "id" }));
        Assert.Equal(4, e.Line);
        Assert.Contains("duplicate id '7' (first on line 2)", e.Message);
        var empty = _dir.Write("e.csv", "id,text,label\n,a,x\n");
        Assert.Throws<InputException>(() => DatasetLoader.Load(empty, new DatasetOptions { IdColumn = "id" }));
    }

    [Fact]
    public void A_single_class_or_all_empty_file_gives_a_clear_error()
    {
        var one = _dir.Write("one.csv", "text,label\na,x\nb,x\n");
        Assert.Contains("at least two", Assert.Throws<InputException>(() => DatasetLoader.Load(one, new DatasetOptions())).Message);
        var blank = _dir.Write("blank.csv", "text,label\n ,x\n\"\",y\n");
        Assert.Contains("no usable rows", Assert.Throws<InputException>(() => DatasetLoader.Load(blank, new DatasetOptions())).Message);
        var empty = _dir.Write("empty.csv", "");
        Assert.Contains("empty", Assert.Throws<InputException>(() => DatasetLoader.Load(empty, new DatasetOptions())).Message);
    }

    [Fact]
    public void Conflicting_options_are_rejected()
    {
        var path = _dir.Write("o.csv", "text,label\na,x\n");
        Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { LabelColumns = ["a"], Labels = ["a"] }));
        // Errors name the config keys users write.
        Assert.Equal("label_delimiter", Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { LabelDelimiter = "" })).Field);
        Assert.Equal("context.turns", Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { ContextTurns = -1 })).Field);
        Assert.Equal("context.current_speaker", Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { CurrentSpeaker = true })).Field);
        Assert.Equal("context.speaker_tags", Assert.Throws<InputException>(() =>
            DatasetLoader.Load(path, new DatasetOptions { ContextTurns = 2, ContextSpeakerTags = true })).Field);
        Assert.Equal("labels", Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { Labels = [] })).Field);
        var e = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions { LabelNamesFile = "nope.txt" }));
        Assert.Equal("labels_file", e.Field);
        Assert.Contains("labels_file", Assert.Throws<InputException>(() =>
            DatasetLoader.Load(path, new DatasetOptions { Labels = ["x"], LabelNamesFile = "names.txt" })).Message);
    }

    [Fact]
    public async Task LoadAsync_matches_Load()
    {
        var path = _dir.Write("a.csv", "text,label\na,x\nb,y\na,x\n");
        var sync = DatasetLoader.Load(path, new DatasetOptions());
        var async = await DatasetLoader.LoadAsync(path, new DatasetOptions());
        Assert.Equal(sync.Examples.Select(e => (e.Id, e.Text, e.Label)), async.Examples.Select(e => (e.Id, e.Text, e.Label)));
        Assert.Equal(sync.Stats, async.Stats with { ConflictingDuplicateIds = sync.Stats.ConflictingDuplicateIds });
    }

    [Fact]
    public async Task ReadUnlabelled_streams_every_row_without_labels()
    {
        var path = _dir.Write("p.csv", "id,text\nx,hello\ny,\nz,hello\n");
        var rows = DatasetLoader.ReadUnlabelled(path, new DatasetOptions { IdColumn = "id" }).ToList();
        Assert.Equal(["x", "y", "z"], rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Empty(r.Labels));
        var asyncRows = new List<Example>();
        await foreach (var r in DatasetLoader.ReadUnlabelledAsync(path, new DatasetOptions())) asyncRows.Add(r);
        Assert.Equal(["1", "2", "3"], asyncRows.Select(r => r.Id));
        var e = Assert.Throws<InputException>(() => DatasetLoader.ReadUnlabelled(path, new DatasetOptions { TextColumn = "body" }).ToList());
        Assert.Contains("'id', 'text'", e.Message);
    }
}
