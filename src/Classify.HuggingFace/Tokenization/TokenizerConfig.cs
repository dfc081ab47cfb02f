using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// The settings of <c>tokenizer_config.json</c>, completed by <c>special_tokens_map.json</c> (the config wins, as in
/// transformers' <c>from_pretrained</c>). Both files are optional.
/// </summary>
internal sealed class TokenizerConfig
{
    public const string FileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    private readonly JsonObject _config;
    private readonly JsonObject _specialTokensMap;
    private readonly string _configPath;

    private TokenizerConfig(JsonObject config, JsonObject specialTokensMap, string configPath)
    {
        _config = config;
        _specialTokensMap = specialTokensMap;
        _configPath = configPath;
    }

    /// <summary>Reads the two files of <paramref name="directory"/> (missing files count as empty).</summary>
    public static TokenizerConfig Load(string directory) => new(
        ReadObject(Path.Combine(directory, FileName)),
        ReadObject(Path.Combine(directory, SpecialTokensMapFileName)),
        Path.Combine(directory, FileName));

    /// <summary>Parses a JSON file that must hold an object; a missing file gives an empty object.</summary>
    public static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) return new JsonObject();
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InputException("expected a JSON object", path);
        }
        catch (JsonException e)
        {
            throw new InputException($"invalid JSON: {e.Message}", path, e.LineNumber + 1, inner: e);
        }
    }

    public string? TokenizerClass => GetString("tokenizer_class");

    public bool? GetBool(string key) => Get(key, n => n.GetValue<bool>());

    public string? GetString(string key) => GetObject(key, n => n.GetValue<string>());

    /// <summary><c>model_max_length</c>; transformers' "very large integer" placeholder (and anything above int range) becomes <see cref="int.MaxValue"/>.</summary>
    public int ModelMaxLength
    {
        get
        {
            var value = Get("model_max_length", n => n.GetValue<double>());
            return value is { } v && v < int.MaxValue ? (int)v : int.MaxValue;
        }
    }

    public string[]? GetStringArray(string key) => GetObject(key, n => n.AsArray().Select(x => x!.GetValue<string>()).ToArray());

    /// <summary>
    /// A named special token (<c>cls_token</c>, <c>mask_token</c>, …): its content and flags, from the config, else the
    /// special tokens map, else <paramref name="defaultContent"/>. Flags come from the object form or from
    /// <c>added_tokens_decoder</c>; <paramref name="defaultLStrip"/> applies when neither gives them.
    /// </summary>
    public (string Content, bool LStrip, bool RStrip)? GetSpecialToken(string key, string? defaultContent, bool defaultLStrip = false)
    {
        var node = _config[key] ?? _specialTokensMap[key];
        string? content;
        bool? lstrip = null, rstrip = null;
        switch (node)
        {
            case null:
                content = defaultContent;
                break;
            case JsonValue value:
                content = value.GetValue<string>();
                break;
            case JsonObject obj:
                content = obj["content"]?.GetValue<string>()
                          ?? throw new InputException("a special token object needs \"content\"", _configPath, field: key);
                lstrip = obj["lstrip"]?.GetValue<bool>();
                rstrip = obj["rstrip"]?.GetValue<bool>();
                break;
            default:
                throw new InputException("expected a string or a token object", _configPath, field: key);
        }
        if (content is null) return null;
        if (AddedTokensDecoder().FirstOrDefault(t => t.Content == content) is { } decoded)
        {
            lstrip ??= decoded.LStrip;
            rstrip ??= decoded.RStrip;
        }
        return (content, lstrip ?? defaultLStrip, rstrip ?? false);
    }

    /// <summary>The <c>added_tokens_decoder</c> entries (id → token with flags).</summary>
    public IReadOnlyList<AddedToken> AddedTokensDecoder()
    {
        if (_config["added_tokens_decoder"] is not JsonObject decoder) return [];
        var tokens = new List<AddedToken>();
        foreach (var (idText, node) in decoder)
        {
            if (!int.TryParse(idText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                || node is not JsonObject t || t["content"] is null)
                throw new InputException("expected \"<id>\": {\"content\": …} with a non-negative integer id", _configPath, field: $"added_tokens_decoder.{idText}");
            tokens.Add(ReadAddedToken(t, id));
        }
        return tokens;
    }

    /// <summary>A token id: a JSON integer ≥ 0 (an id indexes the embedding table, so nothing else can stand for one).</summary>
    /// <exception cref="InputException">Naming <paramref name="path"/> and <paramref name="field"/>.</exception>
    public static int ReadId(JsonNode? node, string path, string field)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var id) && id >= 0) return id;
        throw new InputException($"a token id must be a non-negative integer, found {node?.ToJsonString() ?? "null"}", path, field: field);
    }

    /// <summary>Reads the flags of an added-token object (the shape used by tokenizer.json and tokenizer_config.json).</summary>
    public static AddedToken ReadAddedToken(JsonObject t, int id) => new(
        t["content"]!.GetValue<string>(), id,
        Special: t["special"]?.GetValue<bool>() ?? false,
        LStrip: t["lstrip"]?.GetValue<bool>() ?? false,
        RStrip: t["rstrip"]?.GetValue<bool>() ?? false,
        SingleWord: t["single_word"]?.GetValue<bool>() ?? false,
        Normalized: t["normalized"]?.GetValue<bool>() ?? false);

    private T? Get<T>(string key, Func<JsonNode, T> read) where T : struct
    {
        var node = _config[key];
        if (node is null) return null;
        try { return read(node); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InputException($"unexpected value {node.ToJsonString()}", _configPath, field: key, inner: e);
        }
    }

    private T? GetObject<T>(string key, Func<JsonNode, T> read) where T : class
    {
        var node = _config[key];
        if (node is null) return null;
        try { return read(node); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InputException($"unexpected value {node.ToJsonString()}", _configPath, field: key, inner: e);
        }
    }
}
