using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.HuggingFace.Configuration;

/// <summary>
/// A Hugging Face <c>config.json</c>. Properties read and write the underlying JSON object (<see cref="Json"/>),
/// so keys this class does not know survive a load → save round trip untouched. <see cref="Load"/> returns the
/// family type (<see cref="BertConfig"/>, <see cref="RobertaConfig"/>, <see cref="DistilBertConfig"/>,
/// <see cref="ModernBertConfig"/>) when <c>model_type</c> names one, as <c>AutoConfig</c> does.
/// </summary>
public class PretrainedConfig
{
    /// <summary>The file name transformers reads and writes.</summary>
    public const string FileName = "config.json";

    /// <summary>Wraps an existing JSON object (not copied).</summary>
    public PretrainedConfig(JsonObject json, string? sourcePath = null)
    {
        Json = json ?? throw new ArgumentNullException(nameof(json));
        SourcePath = sourcePath;
    }

    /// <summary>An empty config.</summary>
    public PretrainedConfig() : this(new JsonObject()) { }

    /// <summary>The raw JSON object; every property reads and writes it.</summary>
    public JsonObject Json { get; }

    /// <summary>The file this config was loaded from, used in error messages.</summary>
    public string? SourcePath { get; }

    /// <summary><c>model_type</c>: the family, e.g. <c>bert</c>, <c>roberta</c>, <c>distilbert</c>, <c>modernbert</c>.</summary>
    public string? ModelType { get => GetString("model_type", null); set => Set("model_type", value); }

    /// <summary><c>architectures</c>: class names such as <c>BertForSequenceClassification</c>.</summary>
    public IReadOnlyList<string> Architectures
    {
        get
        {
            if (Json["architectures"] is not JsonArray array) return [];
            return array.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s)
                ? s
                : throw Error($"architectures[{i}] must be a string", "architectures")).ToList();
        }
        set => Json["architectures"] = new JsonArray(value.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
    }

    /// <summary><c>id2label</c>, with its string keys ("0", "1", …) parsed as integers.</summary>
    public IReadOnlyDictionary<int, string> Id2Label
    {
        get
        {
            var result = new SortedDictionary<int, string>();
            if (Json["id2label"] is not JsonObject obj) return result;
            foreach (var (key, value) in obj)
            {
                if (!int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                    throw Error($"id2label key '{key}' is not an integer", "id2label");
                if (value is not JsonValue v || !v.TryGetValue<string>(out var label))
                    throw Error($"id2label[{key}] must be a string", "id2label");
                if (!result.TryAdd(id, label)) throw Error($"id2label has two keys for id {id}", "id2label");
            }
            return result;
        }
    }

    /// <summary><c>label2id</c>.</summary>
    public IReadOnlyDictionary<string, int> Label2Id
    {
        get
        {
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            if (Json["label2id"] is not JsonObject obj) return result;
            foreach (var (key, value) in obj)
            {
                if (value is not JsonValue v || !TryGetInt(v, out var id))
                    throw Error($"label2id['{key}'] must be an integer", "label2id");
                result[key] = id;
            }
            return result;
        }
    }

    /// <summary>Label names ordered by id (<c>id2label[0]</c>, <c>id2label[1]</c>, …); empty without id2label.</summary>
    public IReadOnlyList<string> LabelNames
    {
        get
        {
            var map = Id2Label;
            var names = new string[map.Count];
            foreach (var (id, label) in map)
            {
                if (id < 0 || id >= names.Length)
                    throw Error($"id2label ids must be 0…{map.Count - 1}, found {id}", "id2label");
                names[id] = label;
            }
            return names;
        }
    }

    /// <summary>Sets <c>id2label</c> (keys "0", "1", … as HF writes them) and <c>label2id</c> from names in id order.</summary>
    public void SetLabels(IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(labelNames);
        var id2Label = new JsonObject();
        var label2Id = new JsonObject();
        for (var i = 0; i < labelNames.Count; i++)
        {
            id2Label[i.ToString(CultureInfo.InvariantCulture)] = labelNames[i];
            label2Id[labelNames[i]] = i;
        }
        Json["id2label"] = id2Label;
        Json["label2id"] = label2Id;
        Json.Remove("num_labels");
    }

    /// <summary>
    /// Number of labels: the size of <c>id2label</c>, else <c>num_labels</c>, else 2 (the transformers default).
    /// Setting it replaces the labels with <c>LABEL_0</c>, <c>LABEL_1</c>, … as transformers does.
    /// </summary>
    public int NumLabels
    {
        get
        {
            if (Json["id2label"] is JsonObject obj) return obj.Count;
            return GetInt("num_labels", 2);
        }
        set => SetLabels(Enumerable.Range(0, value).Select(i => $"LABEL_{i}").ToList());
    }

    /// <summary><c>problem_type</c>: <c>single_label_classification</c>, <c>multi_label_classification</c>, <c>regression</c> or null.</summary>
    public string? ProblemType { get => GetString("problem_type", null); set => Set("problem_type", value); }

    /// <summary><c>torch_dtype</c> (called <c>dtype</c> by transformers v5), e.g. <c>float32</c>.</summary>
    public string? TorchDtype
    {
        get => GetString("torch_dtype", null) ?? GetString("dtype", null);
        set => Set("torch_dtype", value);
    }

    /// <summary><c>transformers_version</c> that wrote the file.</summary>
    public string? TransformersVersion { get => GetString("transformers_version", null); set => Set("transformers_version", value); }

    /// <summary><c>initializer_range</c>: std of the truncated-normal initialisation (default 0.02).</summary>
    public double InitializerRange { get => GetDouble("initializer_range", 0.02); set => Set("initializer_range", value); }

    /// <summary>
    /// Loads <c>config.json</c> from a model folder or a file path. Returns the family type when
    /// <c>model_type</c> is known, a plain <see cref="PretrainedConfig"/> otherwise.
    /// </summary>
    public static PretrainedConfig Load(string dirOrFile)
    {
        ArgumentNullException.ThrowIfNull(dirOrFile);
        var path = Directory.Exists(dirOrFile) ? Path.Combine(dirOrFile, FileName) : dirOrFile;
        path = Path.GetFullPath(path);
        if (!File.Exists(path)) throw new InputException("config file not found", path);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllBytes(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new InputException($"not valid JSON: {e.Message}", path, e.LineNumber + 1, inner: e);
        }
        if (node is not JsonObject obj) throw new InputException("config.json must hold a JSON object", path);
        return FromJson(obj, path);
    }

    /// <summary>Wraps a JSON object, choosing the family type from <c>model_type</c>.</summary>
    public static PretrainedConfig FromJson(JsonObject json, string? sourcePath = null)
    {
        var plain = new PretrainedConfig(json, sourcePath);
        return plain.ModelType switch
        {
            BertConfig.Type => new BertConfig(json, sourcePath),
            RobertaConfig.Type => new RobertaConfig(json, sourcePath),
            DistilBertConfig.Type => new DistilBertConfig(json, sourcePath),
            ModernBertConfig.Type => new ModernBertConfig(json, sourcePath),
            _ => plain,
        };
    }

    /// <summary>
    /// This config as its family type. Throws <see cref="InputException"/> naming <c>model_type</c> when the
    /// family is not one Classify implements.
    /// </summary>
    public PretrainedConfig ToFamilyConfig()
    {
        var typed = FromJson(Json, SourcePath);
        if (typed.GetType() == typeof(PretrainedConfig))
            throw Error(
                ModelType is null
                    ? "config has no model_type; expected one of bert, roberta, distilbert, modernbert"
                    : $"model_type '{ModelType}' is not supported; expected one of bert, roberta, distilbert, modernbert",
                "model_type");
        return typed;
    }

    /// <summary>
    /// Checks the config before anything is built from it: labels here (<c>num_labels</c> and <c>id2label</c> agree,
    /// ids 0…n−1, names unique, at most <see cref="ConfigLimits.MaxLabels"/>); each family adds its sizes, which must
    /// be positive, consistent (heads divide the hidden size, padding ids inside the vocabulary …) and within
    /// <see cref="ConfigLimits"/>. Cheap, allocates nothing sized by the config.
    /// </summary>
    /// <exception cref="InputException">Naming this config's file and the key at fault.</exception>
    public virtual void Validate()
    {
        int? declared = null;
        if (Json.ContainsKey("num_labels") && Json["num_labels"] is not null)
            declared = RequireRange("num_labels", GetInt("num_labels", 2), 1, ConfigLimits.MaxLabels);
        switch (Json["id2label"])
        {
            case null:
                return;
            case JsonObject map:
                if (map.Count == 0) throw Error("id2label is empty; a classifier needs at least one label", "id2label");
                if (map.Count > ConfigLimits.MaxLabels)
                    throw Error($"id2label has {map.Count} entries; at most {ConfigLimits.MaxLabels} labels are allowed", "id2label");
                if (declared is { } n && n != map.Count)
                    throw Error($"num_labels is {n} but id2label has {map.Count} entries", "num_labels");
                var names = LabelNames;   // integer keys 0…n−1, string values
                var first = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < names.Count; i++)
                    if (!first.TryAdd(names[i], i))
                        throw Error($"id2label names '{names[i]}' twice (ids {first[names[i]]} and {i}); label names must be unique", "id2label");
                return;
            default:
                throw Error($"id2label must be an object of \"id\": \"name\", found {Json["id2label"]!.ToJsonString()}", "id2label");
        }
    }

    /// <summary><paramref name="value"/> (read from <paramref name="key"/>) when it lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <exception cref="InputException">Naming the file and the key, with the bound that was broken.</exception>
    /// <param name="key">The config key, named in the error.</param>
    /// <param name="value">Its value.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <param name="maxReason">Why <paramref name="max"/> (default: it is one of the <see cref="ConfigLimits"/>).</param>
    protected int RequireRange(string key, int value, int min, int max, string? maxReason = null)
    {
        if (value < min) throw Error($"{key} is {value}; it must be at least {min}", key);
        if (value > max)
            throw Error($"{key} is {value}; " + (maxReason ?? $"Classify allows at most {max} (ConfigLimits: a bound on what a config may ask to allocate)"), key);
        return value;
    }

    /// <summary>
    /// The sizes every encoder has, each under its family's key: the hidden width, the layer count and the attention heads,
    /// which must divide the width. Returns the checked width and head count.
    /// </summary>
    /// <exception cref="InputException">Naming the file and the key at fault.</exception>
    protected (int Hidden, int Heads) RequireEncoderSizes((string Key, int Value) hidden, (string Key, int Value) layers, (string Key, int Value) heads)
    {
        var width = RequireRange(hidden.Key, hidden.Value, 1, ConfigLimits.MaxHiddenSize);
        RequireRange(layers.Key, layers.Value, 1, ConfigLimits.MaxLayers);
        var count = RequireRange(heads.Key, heads.Value, 1, width, $"it cannot exceed {hidden.Key} {width}");
        if (width % count != 0) throw Error($"{hidden.Key} {width} is not a multiple of {heads.Key} {count}", heads.Key);
        return (width, count);
    }

    /// <summary>Reads the probability <paramref name="key"/> (absent: <paramref name="default"/>, null allowed when <paramref name="nullable"/>) and checks it lies in [0, 1].</summary>
    protected void RequireProbability(string key, double @default, bool nullable = false)
    {
        var value = nullable ? GetNullableDouble(key, @default) : GetDouble(key, @default);
        if (value is { } p && !(p >= 0 && p <= 1)) throw Error($"{key} is {p.ToString(CultureInfo.InvariantCulture)}; a dropout probability lies in [0, 1]", key);
    }

    /// <summary>Reads the number <paramref name="key"/> (absent: <paramref name="default"/>) and checks it is not negative.</summary>
    protected void RequireNonNegative(string key, double @default)
    {
        var value = GetDouble(key, @default);
        if (!(value >= 0) || double.IsInfinity(value)) throw Error($"{key} is {value.ToString(CultureInfo.InvariantCulture)}; it must be a finite number ≥ 0", key);
    }

    /// <summary>A deep copy (same type).</summary>
    public PretrainedConfig Clone() => FromJson((JsonObject)Json.DeepClone(), SourcePath);

    /// <summary>
    /// Writes <c>config.json</c> into <paramref name="directory"/> atomically, as transformers does:
    /// keys sorted, two-space indent, trailing newline.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), ToJsonString());
    }

    /// <summary>The JSON text <see cref="Save"/> writes.</summary>
    public string ToJsonString()
    {
        var sorted = Sorted(Json)!;
        var options = new JsonSerializerOptions { WriteIndented = true, IndentSize = 2, Encoder = AtomicFile.JsonOptions.Encoder };
        return sorted.ToJsonString(options) + "\n";
    }

    // json.dumps(sort_keys=True) sorts every nested object by code point.
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>Reads an integer key, or <paramref name="default"/> when absent or null.</summary>
    protected int GetInt(string key, int @default)
    {
        var node = Json[key];
        if (node is null) return @default;
        if (node is JsonValue v && TryGetInt(v, out var i)) return i;
        throw Error($"expected an integer, found {node.ToJsonString()}", key);
    }

    /// <summary>Reads an optional integer key (null when absent or null).</summary>
    protected int? GetNullableInt(string key, int? @default = null)
    {
        if (!Json.ContainsKey(key)) return @default;
        var node = Json[key];
        if (node is null) return null;
        if (node is JsonValue v && TryGetInt(v, out var i)) return i;
        throw Error($"expected an integer or null, found {node.ToJsonString()}", key);
    }

    /// <summary>Reads a number key, or <paramref name="default"/> when absent or null.</summary>
    protected double GetDouble(string key, double @default)
    {
        var node = Json[key];
        if (node is null) return @default;
        if (node is JsonValue v && TryGetDouble(v, out var d)) return d;
        throw Error($"expected a number, found {node.ToJsonString()}", key);
    }

    /// <summary>Reads an optional number key: <paramref name="default"/> when absent, null when null.</summary>
    protected double? GetNullableDouble(string key, double? @default = null)
    {
        if (!Json.ContainsKey(key)) return @default;
        var node = Json[key];
        if (node is null) return null;
        if (node is JsonValue v && TryGetDouble(v, out var d)) return d;
        throw Error($"expected a number or null, found {node.ToJsonString()}", key);
    }

    /// <summary>Reads a boolean key, or <paramref name="default"/> when absent or null.</summary>
    protected bool GetBool(string key, bool @default)
    {
        var node = Json[key];
        if (node is null) return @default;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw Error($"expected true or false, found {node.ToJsonString()}", key);
    }

    /// <summary>Reads an optional boolean key: <paramref name="default"/> when absent, null when null.</summary>
    protected bool? GetNullableBool(string key, bool? @default = null)
    {
        if (!Json.ContainsKey(key)) return @default;
        return Json[key] is null ? null : GetBool(key, false);
    }

    /// <summary>Reads a string key, or <paramref name="default"/> when absent or null.</summary>
    protected string? GetString(string key, string? @default)
    {
        var node = Json[key];
        if (node is null) return @default;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw Error($"expected a string, found {node.ToJsonString()}", key);
    }

    /// <summary>Writes a key (null writes JSON null).</summary>
    protected void Set(string key, string? value) => Json[key] = value is null ? null : JsonValue.Create(value);

    /// <summary>Writes a key.</summary>
    protected void Set(string key, int value) => Json[key] = value;

    /// <summary>Writes a key (null writes JSON null).</summary>
    protected void Set(string key, int? value) => Json[key] = value is { } v ? JsonValue.Create(v) : null;

    /// <summary>Writes a key.</summary>
    protected void Set(string key, double value) => Json[key] = value;

    /// <summary>Writes a key (null writes JSON null).</summary>
    protected void Set(string key, double? value) => Json[key] = value is { } v ? JsonValue.Create(v) : null;

    /// <summary>Writes a key.</summary>
    protected void Set(string key, bool value) => Json[key] = value;

    /// <summary>Writes a key (null writes JSON null).</summary>
    protected void Set(string key, bool? value) => Json[key] = value is { } v ? JsonValue.Create(v) : null;

    /// <summary>An <see cref="InputException"/> naming this config's file and <paramref name="key"/>.</summary>
    protected InputException Error(string reason, string key) => new(reason, SourcePath ?? FileName, field: key);

    private static bool TryGetInt(JsonValue v, out int value)
    {
        value = 0;
        if (v.GetValueKind() != JsonValueKind.Number) return false;
        if (v.TryGetValue(out value)) return true;
        // JSON written by Python can hold 2.0 where an int is meant; accept integral numbers.
        if (TryGetDouble(v, out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    private static bool TryGetDouble(JsonValue v, out double value)
    {
        value = 0;
        if (v.GetValueKind() != JsonValueKind.Number) return false;
        if (v.TryGetValue(out value)) return true;
        if (v.TryGetValue(out int i)) { value = i; return true; }
        if (v.TryGetValue(out long l)) { value = l; return true; }
        if (v.TryGetValue(out float f)) { value = f; return true; }
        return false;
    }
}
