using System.Text.Json.Nodes;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>
/// What transformers 4.48's <c>from_pretrained</c> accepts in <c>tokenizer_config.json</c> and
/// <c>special_tokens_map.json</c>, checked on the JSON alone (Python's transformers is not available to the tests).
/// The rules follow <c>PreTrainedTokenizerBase._from_pretrained</c>:
/// <list type="bullet">
/// <item>a named special token in the config is a string, or an object with <c>"__type": "AddedToken"</c> (only those
/// are turned into <c>AddedToken</c>; any other object reaches <c>__init__</c> and raises "Special token … has to be
/// either str or AddedToken");</item>
/// <item>each <c>added_tokens_decoder</c> entry is passed as <c>AddedToken(**entry)</c>, so it holds AddedToken fields
/// only; 4.48 writes all six (<c>content, lstrip, normalized, rstrip, single_word, special</c>) and no <c>__type</c>;</item>
/// <item>an object in <c>special_tokens_map.json</c> becomes <c>AddedToken(**value, special=True)</c>, so it has no
/// <c>special</c> and no <c>__type</c> key.</item>
/// </list>
/// </summary>
internal static class TransformersTokenizerFiles
{
    /// <summary>transformers' <c>SPECIAL_TOKENS_ATTRIBUTES</c> without the list-valued one.</summary>
    public static readonly string[] NamedSpecialTokens = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private static readonly string[] AddedTokenFields = ["content", "lstrip", "normalized", "rstrip", "single_word", "special"];

    /// <summary>Every way the tokenizer files of <paramref name="directory"/> break transformers 4.48; empty when none.</summary>
    public static List<string> Problems(string directory)
    {
        var problems = new List<string>();
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            if (JsonNode.Parse(File.ReadAllText(configPath)) is not JsonObject config) problems.Add("tokenizer_config.json: not an object");
            else CheckConfig(config, problems);
        }
        var mapPath = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            if (JsonNode.Parse(File.ReadAllText(mapPath)) is not JsonObject map) problems.Add("special_tokens_map.json: not an object");
            else CheckSpecialTokensMap(map, problems);
        }
        return problems;
    }

    private static void CheckConfig(JsonObject config, List<string> problems)
    {
        foreach (var key in NamedSpecialTokens)
            CheckConfigToken(config[key], $"tokenizer_config.json {key}", problems);
        if (config["additional_special_tokens"] is { } additional)
        {
            if (additional is not JsonArray list) problems.Add("tokenizer_config.json additional_special_tokens: not a list");
            else
                for (var i = 0; i < list.Count; i++) CheckConfigToken(list[i], $"tokenizer_config.json additional_special_tokens[{i}]", problems);
        }
        if (config["added_tokens_decoder"] is not { } decoder) return;
        if (decoder is not JsonObject entries)
        {
            problems.Add("tokenizer_config.json added_tokens_decoder: not an object");
            return;
        }
        foreach (var (id, entry) in entries)
        {
            var where = $"tokenizer_config.json added_tokens_decoder[{id}]";
            if (!int.TryParse(id, out _)) problems.Add($"{where}: the key is not an integer");
            if (entry is not JsonObject token)
            {
                problems.Add($"{where}: not an object");
                continue;
            }
            var keys = token.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
            if (!keys.SequenceEqual(AddedTokenFields))
                problems.Add($"{where}: keys [{string.Join(", ", keys)}], transformers writes [{string.Join(", ", AddedTokenFields)}]");
            CheckFieldTypes(token, where, problems);
        }
    }

    // A string, null, or a serialized AddedToken: {"__type": "AddedToken", "content": …, flags…}.
    private static void CheckConfigToken(JsonNode? node, string where, List<string> problems)
    {
        switch (node)
        {
            case null:
                return;
            case JsonValue value when value.TryGetValue<string>(out _):
                return;
            case JsonObject token:
                if (token["__type"] is not JsonValue type || !type.TryGetValue<string>(out var typeName) || typeName != "AddedToken")
                    problems.Add($"{where}: an object without \"__type\": \"AddedToken\" (from_pretrained raises TypeError)");
                var unknown = token.Select(p => p.Key).Where(k => k != "__type" && !AddedTokenFields.Contains(k)).ToArray();
                if (unknown.Length > 0) problems.Add($"{where}: fields AddedToken does not take: {string.Join(", ", unknown)}");
                CheckFieldTypes(token, where, problems);
                return;
            default:
                problems.Add($"{where}: {node.ToJsonString()} is neither a string nor an AddedToken object");
                return;
        }
    }

    private static void CheckSpecialTokensMap(JsonObject map, List<string> problems)
    {
        foreach (var (key, node) in map)
        {
            var where = $"special_tokens_map.json {key}";
            var tokens = key == "additional_special_tokens" && node is JsonArray list ? list.ToArray() : [node];
            foreach (var token in tokens)
            {
                if (token is JsonValue value && value.TryGetValue<string>(out _)) continue;
                if (token is not JsonObject obj)
                {
                    problems.Add($"{where}: {token?.ToJsonString() ?? "null"} is neither a string nor a token object");
                    continue;
                }
                // AddedToken(**value, special=True): a "special" (or any non-field) key raises TypeError.
                var bad = obj.Select(p => p.Key).Where(k => k == "special" || !AddedTokenFields.Contains(k)).ToArray();
                if (bad.Length > 0) problems.Add($"{where}: keys AddedToken(**value, special=True) refuses: {string.Join(", ", bad)}");
                CheckFieldTypes(obj, where, problems);
            }
        }
    }

    private static void CheckFieldTypes(JsonObject token, string where, List<string> problems)
    {
        if (token["content"] is not JsonValue content || !content.TryGetValue<string>(out _))
            problems.Add($"{where}: \"content\" is not a string");
        foreach (var flag in AddedTokenFields.Skip(1))
            if (token[flag] is { } f && (f is not JsonValue v || !v.TryGetValue<bool>(out _)))
                problems.Add($"{where}: \"{flag}\" is not a boolean");
    }
}
