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
    /// <summary>The newest manifest format version this build reads.</summary>
    public const int CurrentFormatVersion = 3;
    /// <summary>
    /// The version a package with <see cref="LabelTemperatures"/> or a <see cref="ContextOptions.CurrentSpeaker"/> context
    /// is written with, so that an older Classify (which would ignore the field and compute other probabilities) refuses
    /// it instead; every other package is written as 1.
    /// </summary>
    public const int LabelTemperaturesFormatVersion = 2;
    /// <summary>
    /// The version a package with an <see cref="Abstain"/> rule is written with, so that an older Classify (which would
    /// ignore the rule and give labels where the package abstains) refuses it instead.
    /// </summary>
    public const int AbstainFormatVersion = 3;

    /// <summary>Always <c>classify-model</c>; lets tools recognise the file.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "classify-model";
    /// <summary>Manifest format version.</summary>
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = 1;
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
    /// <summary>
    /// Per-label temperatures of a multi-label model (label k's scores are divided by <see cref="Temperature"/> × this[k]),
    /// or null (absent from the file) when every label uses <see cref="Temperature"/> alone.
    /// </summary>
    [JsonPropertyName("label_temperatures"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? LabelTemperatures { get; init; }
    /// <summary>
    /// The package's default uncertainty settings for <c>classify predict</c> and <c>classify eval</c>
    /// (<c>{"mc_samples": N, "mc_batch_size": M}</c>, from the training config's <c>uncertainty:</c> section), or null
    /// (absent in packages written before it existed): one deterministic pass.
    /// </summary>
    [JsonPropertyName("uncertainty")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Uncertainty.UncertaintyOptions? Uncertainty { get; init; }
    /// <summary>
    /// Selective prediction: predictions less confident than the rule's threshold are abstained (no labels). Null (absent
    /// from the file, as in every package written before it existed) when the model always decides.
    /// </summary>
    [JsonPropertyName("abstain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AbstainRule? Abstain { get; init; }
    /// <summary>Classify version that wrote the package.</summary>
    [JsonPropertyName("classify_version")] public string ClassifyVersion { get; init; } = ClassifyInfo.Version;
    /// <summary>UTC creation time.</summary>
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>Engine-specific settings (for example the model family or max_length).</summary>
    [JsonPropertyName("engine_options")] public JsonObject? EngineOptions { get; init; }

    /// <summary>The label schema described by <see cref="Task"/> and <see cref="Labels"/>.</summary>
    [JsonIgnore] public LabelSchema Schema => new(TaskKindNames.Parse(Task), Labels);

    /// <summary>The value of <see cref="Format"/>.</summary>
    public const string FormatName = "classify-model";

    /// <summary>
    /// Reads <c>classify.json</c> from a model directory and validates it (<see cref="Validate"/>): a missing, malformed
    /// or inconsistent manifest is an <see cref="InputException"/> naming the file, the line and the field.
    /// </summary>
    public static ModelManifest Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) throw new InputException($"no {FileName} in this folder; it is not a Classify model package", modelDirectory);
        var text = File.ReadAllText(path);
        var lines = JsonKeyLines.Map(System.Text.Encoding.UTF8.GetBytes(text));
        long? LineOf(string field)
        {
            for (var key = field; ;)   // "thresholds[1]" → "thresholds", "context.turns" → "context"
            {
                if (lines.TryGetValue(key, out var line)) return line;
                int cut = key.LastIndexOfAny(['.', '[']);
                if (cut <= 0) return null;
                key = key[..cut];
            }
        }
        ModelManifest m;
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is not JsonObject root) throw new InputException("expected a JSON object", path, 1);
            foreach (var key in (string[])["engine", "task", "labels"])
                if (root[key] is null)
                    throw new InputException($"'{key}' is missing (a model manifest names its engine, task and labels)", path, field: key);
            m = root.Deserialize<ModelManifest>(AtomicFile.JsonOptions) ?? throw new InputException("empty manifest", path);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            var reason = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0];
            throw new InputException($"malformed JSON: {reason}", path, e.LineNumber + 1 ?? (field is null ? null : LineOf(field)), field, e);
        }
        catch (ArgumentException e)   // a key written twice ("An item with the same key has already been added. Key: temperature")
        {
            var key = e.Message.Split("Key: ") is [_, var rest] ? rest.Split(' ')[0] : null;
            throw key is null
                ? new InputException($"malformed JSON: {e.Message}", path, inner: e)
                : new InputException($"malformed JSON: '{key}' is written twice", path, LineOf(key), key, e);
        }
        m.ValidateAt(path, LineOf);
        return m;
    }

    /// <summary>
    /// Checks every field a predictor relies on: <c>format</c> is <c>classify-model</c>, <c>format_version</c> is one this
    /// build reads, <c>engine</c> is named, <c>task</c> is binary, multiclass or multilabel, <c>labels</c> are unique,
    /// non-empty names and as many as the task needs, <c>thresholds</c> (if any) are one probability in [0, 1] per label,
    /// <c>temperature</c> is a positive finite number, <c>label_temperatures</c> (if any) are one positive finite number per
    /// label of a multilabel task, <c>context.turns</c> is not negative, and <c>uncertainty</c> (if any) has 1 to
    /// <see cref="MonteCarloDropout.MaxPasses"/> samples and an MC batch size of at least 1, and <c>abstain</c> (if any) is a
    /// rule this build applies (<see cref="AbstainRule.FindProblem"/>).
    /// </summary>
    /// <param name="file">The manifest file, for the message.</param>
    /// <exception cref="InputException">The first invalid field, named.</exception>
    public void Validate(string? file = null) => ValidateAt(file, null);

    private void ValidateAt(string? file, Func<string, long?>? lineOf)
    {
        InputException Bad(string field, string reason) => new(reason, file, lineOf?.Invoke(field), field);
        if (Format != FormatName) throw Bad("format", $"format is '{Format}', not '{FormatName}': this is not a Classify model manifest");
        if (FormatVersion > CurrentFormatVersion)
            throw Bad("format_version", $"format_version {FormatVersion} is newer than this Classify {ClassifyInfo.Version} reads ({CurrentFormatVersion}); upgrade Classify to load this model");
        if (FormatVersion < 1) throw Bad("format_version", $"format_version {FormatVersion} is not a version Classify writes (1 to {CurrentFormatVersion})");
        if (string.IsNullOrWhiteSpace(Engine)) throw Bad("engine", "engine is empty (linear, transformer …)");
        TaskKind kind;
        try { kind = TaskKindNames.Parse(Task ?? ""); }
        catch (FormatException) { throw Bad("task", $"unknown task '{Task}' (expected binary, multiclass or multilabel)"); }
        if (Labels is null || Labels.Count == 0) throw Bad("labels", "no labels");
        if (FindLabelProblem(Labels) is { } problem) throw Bad("labels", problem);
        if (kind == TaskKind.Binary && Labels.Count != 2) throw Bad("labels", $"a binary task has exactly 2 labels, found {Labels.Count}");
        if (kind != TaskKind.Binary && Labels.Count < 2) throw Bad("labels", $"a {kind.ToName()} task needs at least 2 labels, found {Labels.Count}");
        if (Thresholds is { } t)
        {
            if (t.Count != Labels.Count) throw Bad("thresholds", $"{t.Count} thresholds for {Labels.Count} labels");
            for (int k = 0; k < t.Count; k++)
                if (!(t[k] is >= 0 and <= 1))
                    throw Bad("thresholds", $"the threshold of '{Labels[k]}' is {t[k].ToString(System.Globalization.CultureInfo.InvariantCulture)}; thresholds are probabilities in [0, 1]");
        }
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw Bad("temperature", $"temperature must be a positive finite number (1 = uncalibrated), found {Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (LabelTemperatures is { } lt)
        {
            if (kind != TaskKind.Multilabel)
                throw Bad("label_temperatures", $"label_temperatures apply to multilabel tasks (independent labels); a {kind.ToName()} task has one temperature");
            if (lt.Count != Labels.Count) throw Bad("label_temperatures", $"{lt.Count} label temperatures for {Labels.Count} labels");
            for (int k = 0; k < lt.Count; k++)
                if (!(lt[k] > 0) || double.IsInfinity(lt[k]))
                    throw Bad("label_temperatures", $"the temperature of '{Labels[k]}' is {lt[k].ToString(System.Globalization.CultureInfo.InvariantCulture)}; temperatures are positive finite numbers");
        }
        if (Cleaning is null) throw Bad("cleaning", "cleaning is null; write {} for no cleaning");
        if (Context is { Turns: < 0 } c) throw Bad("context.turns", $"context.turns must be 0 or more, found {c.Turns}");
        if (Context is { Separator: null }) throw Bad("context.separator", "context.separator is null");
        if (Uncertainty?.FindProblem() is { } u) throw Bad($"uncertainty.{u.Key}", u.Reason);
        if (Abstain?.FindProblem() is { } a) throw Bad($"abstain.{a.Field}", a.Reason);
    }

    /// <summary>
    /// What is wrong with a list of label names (an empty or missing name, a name given twice), or null when nothing is:
    /// label names index probabilities, so each must be distinct. Engines that read labels from elsewhere (a Hugging Face
    /// <c>id2label</c>) use it to report the problem against their own file and field.
    /// </summary>
    public static string? FindLabelProblem(IReadOnlyList<string?> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i])) return $"label {i} is empty";
            if (!seen.TryAdd(labels[i]!, i)) return $"label '{labels[i]}' appears twice (labels {seen[labels[i]!]} and {i}); label names must be distinct";
        }
        return null;
    }

    /// <summary>
    /// Writes <c>classify.json</c> atomically into <paramref name="modelDirectory"/>, with the oldest format_version that
    /// readers must understand to predict as this package does (<see cref="RequiredFormatVersion"/>).
    /// </summary>
    public void Save(string modelDirectory) => AtomicFile.WriteJson(Path.Combine(modelDirectory, FileName),
        FormatVersion >= RequiredFormatVersion ? this : this with { FormatVersion = RequiredFormatVersion });

    /// <summary>
    /// The lowest format version whose readers predict as this package does: <see cref="AbstainFormatVersion"/> with an
    /// <see cref="Abstain"/> rule, else <see cref="LabelTemperaturesFormatVersion"/> with <see cref="LabelTemperatures"/>
    /// or a current-speaker context, else 1 (so a package without them stays readable by every Classify).
    /// </summary>
    [JsonIgnore]
    public int RequiredFormatVersion => Abstain is not null ? AbstainFormatVersion
        : LabelTemperatures is not null || Context?.CurrentSpeaker == true ? LabelTemperaturesFormatVersion : 1;
}

/// <summary>
/// How a conversation is fed to a model (the config's <c>context:</c> section): the preceding turns as context, who
/// speaks, and the training data's columns, so that every scoring path (<c>predict --input</c>, <c>eval</c>,
/// <c>suggest</c>, <see cref="FileScorer"/>, <see cref="Runs.EvaluationRun"/>) rebuilds the inputs the model was trained on.
/// </summary>
public sealed record ContextOptions
{
    /// <summary>Number of preceding turns used (0 = none).</summary>
    [JsonPropertyName("turns")] public int Turns { get; init; }
    /// <summary>Prefix each context turn with its speaker (e.g. <c>therapist: …</c>).</summary>
    [JsonPropertyName("speaker_tags")] public bool SpeakerTags { get; init; }
    /// <summary>Prefix the utterance being classified with its speaker too (<c>current_speaker</c>): the model sees who speaks.</summary>
    [JsonPropertyName("current_speaker")] public bool CurrentSpeaker { get; init; }
    /// <summary>Separator placed between context turns.</summary>
    [JsonPropertyName("separator")] public string Separator { get; init; } = " ";
    /// <summary>The training data's conversation column (<c>data.group_col</c>); scoring files look for the same column.</summary>
    [JsonPropertyName("group_col")] public string? GroupColumn { get; init; }
    /// <summary>The training data's turn-order column (<c>data.order_col</c>), or null for file order.</summary>
    [JsonPropertyName("order_col")] public string? OrderColumn { get; init; }
    /// <summary>The training data's speaker column (<c>data.speaker_col</c>), or null.</summary>
    [JsonPropertyName("speaker_col")] public string? SpeakerColumn { get; init; }

    /// <summary>True when the model's inputs depend on more than the text: context turns or the speaker prefix.</summary>
    [JsonIgnore] public bool UsesConversation => Turns > 0 || CurrentSpeaker;

    /// <summary>
    /// The options to read a file to score with: <paramref name="given"/> (columns named by the caller win) with this
    /// model's context turns, speaker tags and, where the caller named none, the training data's group, order and
    /// speaker columns. A model trained with a group column then needs it in every file it scores: a file without it
    /// fails with the column's name instead of silently scoring each row without its context.
    /// </summary>
    public Data.DatasetOptions ApplyTo(Data.DatasetOptions given)
    {
        ArgumentNullException.ThrowIfNull(given);
        if (!UsesConversation) return given;
        return given with
        {
            ContextTurns = Turns,
            ContextSpeakerTags = SpeakerTags,
            CurrentSpeaker = CurrentSpeaker,
            GroupColumn = given.GroupColumn ?? GroupColumn,
            OrderColumn = given.OrderColumn ?? OrderColumn,
            SpeakerColumn = given.SpeakerColumn ?? SpeakerColumn,
        };
    }
}
