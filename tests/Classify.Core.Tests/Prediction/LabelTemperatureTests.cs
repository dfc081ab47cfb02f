using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Prediction;

namespace Classify.Core.Tests.Prediction;

/// <summary>
/// Per-label temperatures of multi-label models: applied by <see cref="LinkFunction"/> (label k's score divided by
/// T · Tₖ), carried by classify.json as <c>label_temperatures</c> (format_version 2 only when present, so manifests
/// without them stay as they were), validated with the field named.
/// </summary>
public sealed class LabelTemperatureTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ManifestPath => Path.Combine(_dir, ModelManifest.FileName);

    private static ModelManifest Multilabel(IReadOnlyList<double>? labelTemperatures = null, double temperature = 1) => new()
    {
        Engine = "linear", Task = "multilabel", Labels = ["joy", "anger", "fear"], Temperature = temperature, LabelTemperatures = labelTemperatures,
    };

    [Fact]
    public void Each_label_is_divided_by_the_shared_temperature_times_its_own()
    {
        // σ(2 / (2 · 0.5)) = σ(2); σ(−3 / (2 · 1.5)) = σ(−1); σ(4 / (2 · 4)) = σ(0.5).
        var p = LinkFunction.Apply([2.0, -3.0, 4.0], ScoreLink.Sigmoid, 2.0, [0.5, 1.5, 4.0]);
        Assert.Equal([LinkFunction.Sigmoid(2), LinkFunction.Sigmoid(-1), LinkFunction.Sigmoid(0.5)], p);
        Assert.Equal(LinkFunction.Apply([2.0, -3.0, 4.0], ScoreLink.Sigmoid, 2.0), LinkFunction.Apply([2.0, -3.0, 4.0], ScoreLink.Sigmoid, 2.0, null));
        var rows = LinkFunction.Apply([[2.0, -3.0, 4.0]], ScoreLink.Sigmoid, Multilabel([0.5, 1.5, 4.0], temperature: 2));
        Assert.Equal(p, rows[0]);
    }

    [Fact]
    public void Per_label_temperatures_are_refused_for_links_whose_labels_depend_on_each_other()
    {
        Assert.Throws<ArgumentException>(() => LinkFunction.Apply([1.0, 2.0, 3.0], ScoreLink.Softmax, 1, [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => LinkFunction.Apply([1.0, 2.0, 3.0], ScoreLink.OneVsRest, 1, [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => LinkFunction.Apply([1.0, 2.0, 3.0], ScoreLink.Sigmoid, 1, [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkFunction.Apply([1.0, 2.0, 3.0], ScoreLink.Sigmoid, 1, [1, 0, 2]));
    }

    [Fact]
    public void A_manifest_with_label_temperatures_round_trips_as_format_version_2()
    {
        Multilabel([0.5, 1.25, 2]).Save(_dir);
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!;
        Assert.Equal(2, (int)json["format_version"]!);
        var m = ModelManifest.Load(_dir);
        Assert.Equal([0.5, 1.25, 2], m.LabelTemperatures);
    }

    [Fact]
    public void A_manifest_without_label_temperatures_is_written_as_before()
    {
        Multilabel().Save(_dir);
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        Assert.Equal(1, (int)json["format_version"]!);
        Assert.False(json.ContainsKey("label_temperatures"));
        // A file written before the field existed loads, with no per-label temperatures.
        Assert.Null(ModelManifest.Load(_dir).LabelTemperatures);
    }

    private InputException LoadWith(JsonNode? labelTemperatures, string task = "multilabel")
    {
        Multilabel().Save(_dir);
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        json["label_temperatures"] = labelTemperatures;
        json["task"] = task;
        File.WriteAllText(ManifestPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return Assert.Throws<InputException>(() => ModelManifest.Load(_dir));
    }

    [Theory]
    [InlineData("[1, 2]", "multilabel", "2 label temperatures for 3 labels")]
    [InlineData("[1, 0, 2]", "multilabel", "the temperature of 'anger' is 0")]
    [InlineData("[1, -2, 2]", "multilabel", "the temperature of 'anger' is -2")]
    [InlineData("[1, 1, 1]", "multiclass", "apply to multilabel tasks")]
    public void Bad_label_temperatures_are_refused_naming_the_field_and_line(string value, string task, string reason)
    {
        var e = LoadWith(JsonNode.Parse(value), task);
        Assert.Equal(ManifestPath, e.File);
        Assert.Equal("label_temperatures", e.Field);
        Assert.Contains(reason, e.Reason);
        Assert.Equal(File.ReadAllLines(ManifestPath).ToList().FindIndex(l => l.Contains("\"label_temperatures\"")) + 1, e.Line);
    }

    [Fact]
    public void A_label_temperature_that_is_not_a_number_names_the_field()
    {
        var e = LoadWith(new JsonArray(1, "warm", 2));
        Assert.StartsWith("label_temperatures", e.Field);
    }
}
