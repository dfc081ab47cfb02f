using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Classify.Core.Cleaning;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Prediction;

/// <summary>
/// The contents of <c>classify.json</c>, the manifest at the root of every model package: which engine
/// loads the folder, the task and labels, how text is preprocessed, and the decision rules
/// (thresholds, temperature) every Predictor applies.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>File name of the manifest inside a model package.</summary>
    public const string FileName = "classify.json";
    /// <summary>Current manifest format version.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Always <c>classify-model</c>; lets tools recognise the file.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "classify-model";
    /// <summary>Manifest format version.</summary>
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>Engine that loads the package: <c>linear</c>, <c>transformer</c> or <c>onnx</c>.</summary>
    [JsonPropertyName("engine")] public required string Engine { get; init; }
    /// <summary>Task kind name (binary, multiclass, multilabel).</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }
    /// <summary>Label names in index order.</summary>
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Cleaning applied to text before the engine sees it.</summary>
    [JsonPropertyName("cleaning")] public CleaningOptions Cleaning { get; init; } = CleaningOptions.None;
    /// <summary>Conversation-context settings, or null when the model reads the text alone.</summary>
    [JsonPropertyName("context")] public ContextOptions? Context { get; init; }
    /// <summary>Per-label decision thresholds (multilabel, or binary on the positive label), or null for defaults.</summary>
    [JsonPropertyName("thresholds")] public IReadOnlyList<double>? Thresholds { get; init; }
    /// <summary>Calibration temperature applied to logits (1 = none).</summary>
    [JsonPropertyName("temperature")] public double Temperature { get; init; } = 1.0;
    /// <summary>Classify version that wrote the package.</summary>
    [JsonPropertyName("classify_version")] public string ClassifyVersion { get; init; } = ClassifyInfo.Version;
    /// <summary>UTC creation time.</summary>
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>Engine-specific settings (for example the model family or max_length).</summary>
    [JsonPropertyName("engine_options")] public JsonObject? EngineOptions { get; init; }

    /// <summary>The label schema described by <see cref="Task"/> and <see cref="Labels"/>.</summary>
    [JsonIgnore] public LabelSchema Schema => new(TaskKindNames.Parse(Task), Labels);

    /// <summary>Reads <c>classify.json</c> from a model directory, with a clear error when it is missing or malformed.</summary>
    public static ModelManifest Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) throw new InputException($"no {FileName} in this folder; it is not a Classify model package", modelDirectory);
        try
        {
            var m = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), AtomicFile.JsonOptions)
                    ?? throw new InputException("empty manifest", path);
            _ = m.Schema; // validates task and labels
            if (m.Thresholds is { } t && t.Count != m.Labels.Count)
                throw new InputException($"{t.Count} thresholds for {m.Labels.Count} labels", path, field: "thresholds");
            return m;
        }
        catch (JsonException e)
        {
            throw new InputException($"malformed JSON: {e.Message}", path, e.LineNumber + 1, e.Path, e);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new InputException(e.Message, path, inner: e);
        }
    }

    /// <summary>Writes <c>classify.json</c> atomically into <paramref name="modelDirectory"/>.</summary>
    public void Save(string modelDirectory) => AtomicFile.WriteJson(Path.Combine(modelDirectory, FileName), this);
}

/// <summary>How preceding conversation turns are fed to a model as context.</summary>
public sealed record ContextOptions
{
    /// <summary>Number of preceding turns used (0 = none).</summary>
    [JsonPropertyName("turns")] public int Turns { get; init; }
    /// <summary>Prefix each turn with its speaker (e.g. <c>therapist: …</c>).</summary>
    [JsonPropertyName("speaker_tags")] public bool SpeakerTags { get; init; }
    /// <summary>Separator placed between context turns.</summary>
    [JsonPropertyName("separator")] public string Separator { get; init; } = " ";
}
