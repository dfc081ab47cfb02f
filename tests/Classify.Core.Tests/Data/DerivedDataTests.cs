using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Tests.Data;

/// <summary>Issue 15 item 2: labels derived from other columns, label maps, row filters and composite ids.</summary>
public sealed class DerivedDataTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    // A small AnnoMI-like conversation file: ids repeat per transcript, two behaviour columns with "n/a".
    private const string Conversations = """
        transcript_id,utterance_id,interlocutor,utterance_text,main_therapist_behaviour,client_talk_type
        0,0,therapist,How are you today?,question,n/a
        0,1,client,Fine I guess.,n/a,neutral
        0,2,therapist,You sound unsure.,reflection,n/a
        0,3,client,Yes.,n/a,n/a
        1,0,therapist,Welcome back.,other,n/a
        1,1,client,I want to drink less.,n/a,change
        1,2,therapist,Tell me more.,therapist_input,n/a
        1,3,client,Hmm.,n/a,n/a

        """;

    private Dataset Load(string config, string? data = null)
    {
        var file = _dir.Write("data.csv", data ?? Conversations);
        var yaml = _dir.Write("c.yaml", $"name: t\ndata:\n  path: {file}\n  text_col: utterance_text\n{config}");
        var experiment = ExperimentConfig.Load(yaml);
        return DatasetLoader.Load(experiment.Data.Path, experiment.DatasetOptions());
    }

    private InputException ConfigError(string config) =>
        Assert.Throws<InputException>(() => Load(config));

    [Fact]
    public void A_binary_label_derived_from_two_columns_with_composite_ids()
    {
        var data = Load("""
              id_cols: [transcript_id, utterance_id]
              derive_label:
                cases:
                  - label: code
                    when: {any: [{column: main_therapist_behaviour, not_in: ["n/a"]}, {column: client_talk_type, not_in: ["n/a"]}]}
                otherwise: no_code
            """);
        Assert.Equal(["code", "no_code"], data.Schema.Labels);
        Assert.Equal(["0/0", "0/1", "0/2", "0/3", "1/0", "1/1", "1/2", "1/3"], data.Examples.Select(e => e.Id));
        Assert.Equal(["code", "code", "code", "no_code", "code", "code", "code", "no_code"], data.Examples.Select(e => data.Schema.Labels[e.Labels[0]]));
    }

    [Fact]
    public void A_filter_keeps_the_rows_that_meet_it_and_counts_the_rest()
    {
        var data = Load("""
              label_col: main_therapist_behaviour
              id_cols: [transcript_id, utterance_id]
              filter: {all: [{column: interlocutor, in: [therapist]}, {not: {column: main_therapist_behaviour, in: [other]}}]}
            """);
        Assert.Equal(["0/0", "0/2", "1/2"], data.Examples.Select(e => e.Id));
        Assert.Equal(5, data.Stats.FilteredOut);
        Assert.Equal(["question", "reflection", "therapist_input"], data.Schema.Labels);
        var empty = Load("""
              label_col: main_therapist_behaviour
              filter: {column: client_talk_type, empty: false}
            """);
        Assert.Equal(8, empty.Count);
    }

    [Fact]
    public void A_label_map_renames_merges_and_drops_labels()
    {
        var data = Load("""
              label_col: main_therapist_behaviour
              label_map: {"n/a": null, therapist_input: other, question: asks}
            """);
        Assert.Equal(["asks", "other", "reflection"], data.Schema.Labels);   // merged, renamed, n/a rows gone
        Assert.Equal(4, data.Count);
        Assert.Equal(4, data.Stats.LabelDropped);
        // labels: fixes the labels after mapping (order and set).
        var ordered = Load("""
              label_col: main_therapist_behaviour
              label_map: {"n/a": null, therapist_input: other}
              labels: [reflection, question, other]
            """);
        Assert.Equal(["reflection", "question", "other"], ordered.Schema.Labels);
        var e = Assert.Throws<InputException>(() => Load("""
              label_col: main_therapist_behaviour
              label_map: {"n/a": null}
              labels: [reflection, question, other]
            """));
        Assert.Equal("labels", e.Field);
        Assert.Equal(8, e.Line);   // the therapist_input row (header is line 1)
        Assert.Contains("'therapist_input' (after label_map)", e.Reason);
    }

    [Fact]
    public void A_label_map_removes_labels_from_multilabel_rows_and_keeps_the_rows()
    {
        var file = _dir.Write("ml.csv", "text,labels\na,\"x,y\"\nb,y\nc,\"x,z\"\n");
        var data = DatasetLoader.Load(file, new DatasetOptions { LabelColumn = "labels", Multilabel = true, LabelMap = new Dictionary<string, string?> { ["y"] = null, ["z"] = "x" } });
        Assert.Equal(["x"], data.Schema.Labels);
        Assert.Equal(3, data.Count);
        Assert.Empty(data.Examples[1].Labels);
    }

    [Fact]
    public void A_row_no_case_covers_without_otherwise_is_an_error_naming_its_line()
    {
        var e = ConfigError("""
              derive_label:
                cases:
                  - {label: code, when: {column: main_therapist_behaviour, not_in: ["n/a"]}}
            """);
        Assert.Equal("derive_label", e.Field);
        Assert.Equal(3, e.Line);   // "Fine I guess." is a client turn: n/a
        Assert.EndsWith("data.csv", e.File);
    }

    [Theory]
    [InlineData("  filter: {column: interlocutor, in: []}\n", "data.filter.in", "non-empty list")]
    [InlineData("  filter: {column: interlocutor, like: therapist}\n", "data.filter.like", "unknown test 'like'")]
    [InlineData("  filter: {column: interlocutor}\n", "data.filter", "exactly one of in, not_in, empty")]
    [InlineData("  filter: {any: []}\n", "data.filter.any", "non-empty list")]
    [InlineData("  filter: therapist\n", "data.filter", "expected a condition")]
    [InlineData("  derive_label: {cases: []}\n", "data.derive_label.cases", "non-empty list")]
    [InlineData("  derive_label: {cases: [{label: a}]}\n", "data.derive_label.cases[0].when", "condition")]
    [InlineData("  derive_label: {cases: [{label: a, when: {column: x, in: [1]}, then: b}]}\n", "data.derive_label.cases[0].then", "unknown key")]
    [InlineData("  derive_label: {cases: [{label: a, when: {column: x, in: [1]}}]}\n  multilabel: true\n", "data.derive_label", "cannot be combined")]
    [InlineData("  label_map: {question: \"\"}\n", "data.label_map.question", "to null to drop it")]
    [InlineData("  label_map: [question]\n", "data.label_map", "mapping of labels")]
    [InlineData("  id_col: utterance_id\n  id_cols: [transcript_id, utterance_id]\n", "data.id_cols", "either id_col or id_cols")]
    [InlineData("  id_cols: []\n", "data.id_cols", "empty")]
    public void Bad_rules_are_errors_naming_the_config_file_line_and_key(string config, string field, string reason)
    {
        var e = ConfigError("  label_col: main_therapist_behaviour\n" + config);
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason);
        Assert.EndsWith("c.yaml", e.File);
        Assert.NotNull(e.Line);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Missing_rule_columns_and_empty_id_parts_name_their_key()
    {
        var missing = ConfigError("  label_col: main_therapist_behaviour\n  filter: {column: speaker, in: [therapist]}\n");
        Assert.Equal("filter", missing.Field);
        Assert.Contains("column 'speaker'", missing.Reason);
        var emptyPart = Assert.Throws<InputException>(() =>
            Load("  label_col: main_therapist_behaviour\n  id_cols: [transcript_id, utterance_id]\n", Conversations.Replace("1,2,therapist", "1,,therapist")));
        Assert.Equal("id_cols", emptyPart.Field);
        Assert.Equal(8, emptyPart.Line);
        var allFiltered = ConfigError("  label_col: main_therapist_behaviour\n  filter: {column: interlocutor, in: [nobody]}\n");
        Assert.Contains("do not meet data.filter", allFiltered.Reason);
    }

    [Fact]
    public void AnnoMI_ids_repeat_per_transcript_and_a_composite_id_makes_them_unique()
    {
        var path = TestPaths.SharedData("annomi", "AnnoMI-simple.csv");
        var plain = Assert.Throws<InputException>(() => DatasetLoader.Load(path, new DatasetOptions
            { TextColumn = "utterance_text", LabelColumn = "main_therapist_behaviour", IdColumn = "utterance_id" }));
        Assert.Contains("duplicate id '0'", plain.Reason);
        var data = DatasetLoader.Load(path, new DatasetOptions
            { TextColumn = "utterance_text", LabelColumn = "main_therapist_behaviour", IdColumns = ["transcript_id", "utterance_id"], DropDuplicates = false });
        Assert.Equal(data.Stats.RowsRead, data.Count + data.Stats.EmptyDropped);
        Assert.Equal(data.Count, data.Examples.Select(e => e.Id).Distinct().Count());
    }
}
