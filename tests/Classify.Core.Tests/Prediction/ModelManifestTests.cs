using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Prediction;

namespace Classify.Core.Tests.Prediction;

/// <summary>
/// classify.json is validated when it is loaded: a tampered or hand-edited manifest is an <see cref="InputException"/>
/// naming the file, the line and the field, never a silently different prediction or an exit-1 crash later.
/// </summary>
public sealed class ModelManifestTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ManifestPath => Path.Combine(_dir, ModelManifest.FileName);

    private static ModelManifest Valid() => new()
    {
        Engine = "linear", Task = "multiclass", Labels = ["negative", "neutral", "positive"], CreatedUtc = new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc),
    };

    /// <summary>Writes a valid manifest, lets <paramref name="edit"/> change its JSON, and returns the load error.</summary>
    private InputException LoadEdited(Action<JsonObject> edit)
    {
        Valid().Save(_dir);
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        edit(json);
        File.WriteAllText(ManifestPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return Assert.Throws<InputException>(() => ModelManifest.Load(_dir));
    }

    /// <summary>The 1-based line of <c>"key":</c> in the written file.</summary>
    private long LineOf(string key) =>
        File.ReadAllLines(ManifestPath).Select((text, i) => (text, i)).First(l => l.text.TrimStart().StartsWith($"\"{key}\":", StringComparison.Ordinal)).i + 1;

    private void AssertNames(InputException e, string field, string mention)
    {
        Assert.Equal(ManifestPath, e.File);
        Assert.Equal(field, e.Field);
        Assert.Contains(mention, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_valid_manifest_round_trips()
    {
        Valid().Save(_dir);
        var m = ModelManifest.Load(_dir);
        Assert.Equal(["negative", "neutral", "positive"], m.Labels);
        Assert.Equal(1.0, m.Temperature);
    }

    [Fact]
    public void The_conversation_settings_round_trip_and_apply_to_the_files_a_model_scores()
    {
        var context = new ContextOptions
        {
            Turns = 3, SpeakerTags = true, CurrentSpeaker = true, GroupColumn = "transcript_id", OrderColumn = "utterance_id", SpeakerColumn = "interlocutor",
        };
        (Valid() with { Context = context }).Save(_dir);
        Assert.Equal(context, ModelManifest.Load(_dir).Context);
        // An older Classify would ignore current_speaker and score other inputs: the package says it needs version 2.
        Assert.Equal(2, ModelManifest.Load(_dir).FormatVersion);
        (Valid() with { Context = context with { CurrentSpeaker = false } }).Save(_dir);
        Assert.Equal(1, ModelManifest.Load(_dir).FormatVersion);

        // A package written before these keys existed reads as "no columns, no current speaker".
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        json["context"] = new JsonObject { ["turns"] = 2, ["speaker_tags"] = true, ["separator"] = " " };
        File.WriteAllText(ManifestPath, json.ToJsonString());
        Assert.Equal(new ContextOptions { Turns = 2, SpeakerTags = true }, ModelManifest.Load(_dir).Context);

        var read = context.ApplyTo(new Classify.Core.Data.DatasetOptions { TextColumn = "utterance_text", GroupColumn = "conversation" });
        Assert.Equal(("utterance_text", "conversation", "utterance_id", "interlocutor"), (read.TextColumn, read.GroupColumn, read.OrderColumn, read.SpeakerColumn));
        Assert.Equal((3, true, true), (read.ContextTurns, read.ContextSpeakerTags, read.CurrentSpeaker));
        var plain = new Classify.Core.Data.DatasetOptions { TextColumn = "t" };
        Assert.Same(plain, new ContextOptions().ApplyTo(plain));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    public void A_temperature_that_is_not_positive_is_refused(double temperature)
    {
        // -1 would invert the ranking of every prediction; 0 divides by zero.
        var e = LoadEdited(j => j["temperature"] = temperature);
        AssertNames(e, "temperature", "positive");
        Assert.Equal(LineOf("temperature"), e.Line);
    }

    [Fact]
    public void A_nan_or_infinite_temperature_is_refused()
    {
        AssertNames(LoadEdited(j => j["temperature"] = "NaN"), "temperature", "NaN");
        AssertNames(LoadEdited(j => j["temperature"] = "Infinity"), "temperature", "positive finite");
    }

    [Fact]
    public void A_temperature_that_is_not_a_number_names_the_field()
    {
        var e = LoadEdited(j => j["temperature"] = "hot");
        AssertNames(e, "temperature", "malformed JSON");
        Assert.Equal(LineOf("temperature"), e.Line);
    }

    [Fact]
    public void Duplicate_label_names_are_refused()
    {
        var e = LoadEdited(j => j["labels"] = new JsonArray("negative", "neutral", "negative"));
        AssertNames(e, "labels", "'negative' appears twice");
        Assert.Equal(LineOf("labels"), e.Line);
    }

    [Fact]
    public void Empty_labels_and_empty_label_names_are_refused()
    {
        AssertNames(LoadEdited(j => j["labels"] = new JsonArray()), "labels", "no labels");
        AssertNames(LoadEdited(j => j["labels"] = new JsonArray("a", "", "c")), "labels", "label 1 is empty");
        AssertNames(LoadEdited(j => j["labels"] = new JsonArray("a", null, "c")), "labels", "label 1 is empty");
    }

    [Fact]
    public void A_label_count_the_task_cannot_have_is_refused()
    {
        AssertNames(LoadEdited(j => j["task"] = "binary"), "labels", "exactly 2 labels, found 3");
        AssertNames(LoadEdited(j => j["labels"] = new JsonArray("only")), "labels", "at least 2 labels");
    }

    [Fact]
    public void A_newer_format_version_is_refused_with_an_upgrade_hint()
    {
        var e = LoadEdited(j => j["format_version"] = 99);
        AssertNames(e, "format_version", "upgrade Classify");
        Assert.Equal(LineOf("format_version"), e.Line);
        AssertNames(LoadEdited(j => j["format_version"] = 0), "format_version", "not a version");
    }

    [Fact]
    public void Another_format_is_refused()
    {
        AssertNames(LoadEdited(j => j["format"] = "onnx-model"), "format", "not 'classify-model'");
    }

    [Fact]
    public void An_unknown_task_is_named()
    {
        var e = LoadEdited(j => j["task"] = "regression");
        AssertNames(e, "task", "unknown task 'regression'");
        Assert.Equal(LineOf("task"), e.Line);
    }

    [Theory]
    [InlineData("engine")]
    [InlineData("task")]
    [InlineData("labels")]
    public void A_missing_required_key_is_named(string key)
    {
        AssertNames(LoadEdited(j => j.Remove(key)), key, "missing");
    }

    [Fact]
    public void Thresholds_must_be_probabilities_one_per_label()
    {
        AssertNames(LoadEdited(j => j["thresholds"] = new JsonArray(0.5, 1.5, 0.2)), "thresholds", "'neutral' is 1.5");
        AssertNames(LoadEdited(j => j["thresholds"] = new JsonArray(0.5, -0.1, 0.2)), "thresholds", "[0, 1]");
        AssertNames(LoadEdited(j => j["thresholds"] = new JsonArray(0.5, "NaN", 0.2)), "thresholds", "NaN");
        AssertNames(LoadEdited(j => j["thresholds"] = new JsonArray(0.5, 0.5)), "thresholds", "2 thresholds for 3 labels");
    }

    [Fact]
    public void Context_turns_cannot_be_negative()
    {
        var e = LoadEdited(j => j["context"] = new JsonObject { ["turns"] = -2 });
        AssertNames(e, "context.turns", "-2");
        Assert.Equal(LineOf("turns"), e.Line);
    }

    [Fact]
    public void A_key_written_twice_is_refused()
    {
        Valid().Save(_dir);
        File.WriteAllText(ManifestPath, File.ReadAllText(ManifestPath).Replace("\"temperature\": 1,", "\"temperature\": 1, \"temperature\": -1,"));
        var e = Assert.Throws<InputException>(() => ModelManifest.Load(_dir));
        AssertNames(e, "temperature", "written twice");
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        File.WriteAllText(ManifestPath, "{\n  \"engine\": \"linear\",\n  \"task\": \"binary\"\n  \"labels\": [\"a\", \"b\"]\n}\n");
        var e = Assert.Throws<InputException>(() => ModelManifest.Load(_dir));
        Assert.Equal(ManifestPath, e.File);
        Assert.Equal(4, e.Line);
        Assert.Contains("malformed JSON", e.Reason);
    }

    [Fact]
    public void Validate_checks_a_manifest_built_in_memory()
    {
        var e = Assert.Throws<InputException>(() => (Valid() with { Temperature = -1 }).Validate("config.json"));
        Assert.Equal("config.json", e.File);
        Assert.Equal("temperature", e.Field);
        Valid().Validate();
    }

    [Fact]
    public void FindLabelProblem_describes_duplicates_and_empty_names()
    {
        Assert.Null(ModelManifest.FindLabelProblem(["a", "b"]));
        Assert.Contains("'a' appears twice", ModelManifest.FindLabelProblem(["a", "b", "a"]));
        Assert.Contains("label 0 is empty", ModelManifest.FindLabelProblem(["", "b"]));
    }
}
