using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Classify.Core.Configuration;

/// <summary>
/// Reads YAML config files into a JSON tree (the form recorded in run.json) and applies <c>key.path=value</c>
/// overrides from the command line. Plain YAML scalars become booleans, numbers or null as YAML 1.2's core schema
/// says; quoted scalars stay strings. Errors name the file, line and key.
/// </summary>
public static class ConfigDocument
{
    /// <summary>
    /// Parses a YAML file; an empty file gives an empty object. <paramref name="lines"/>, when given, receives the line
    /// of every key (dotted path → 1-based line), so later errors can point at it.
    /// </summary>
    public static JsonObject LoadYaml(string path, IDictionary<string, long>? lines = null)
    {
        if (!File.Exists(path)) throw new InputException("config file not found", path);
        return ParseYaml(File.ReadAllText(path), path, lines);
    }

    /// <summary>Parses YAML text whose root must be a mapping (see <see cref="LoadYaml"/> for <paramref name="lines"/>).</summary>
    public static JsonObject ParseYaml(string yaml, string sourceName = "<config>", IDictionary<string, long>? lines = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InputException($"invalid YAML: {e.InnerException?.Message ?? e.Message}", sourceName, e.Start.Line, inner: e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some unterminated flow collections this way instead of as a YamlException.
            throw new InputException($"invalid YAML (an unclosed [ or {{?): {e.Message}", sourceName, inner: e);
        }
        if (stream.Documents.Count == 0) return new JsonObject();
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" }) return new JsonObject();
        if (root is not YamlMappingNode map)
            throw new InputException("the top level must be a mapping of keys to values", sourceName, root.Start.Line);
        return (JsonObject)Convert(map, sourceName, "", lines)!;
    }

    /// <summary>
    /// Applies one override <c>a.b.c=value</c> (value in YAML flow syntax: <c>3</c>, <c>true</c>, <c>[1, 3]</c>,
    /// <c>{a: 1}</c>, text). Missing intermediate objects are created.
    /// </summary>
    public static void ApplyOverride(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new InputException($"expected key=value, got '{assignment}'", field: "--set");
        var key = assignment[..eq].Trim();
        var valueText = assignment[(eq + 1)..];
        JsonNode? value = ParseValue(valueText, key);
        Set(root, key, value);
    }

    /// <summary>Sets a dotted key path to a value, creating intermediate objects.</summary>
    public static void Set(JsonObject root, string dottedKey, JsonNode? value)
    {
        var parts = dottedKey.Split('.');
        var node = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject child)
            {
                child = new JsonObject();
                node[parts[i]] = child;
            }
            node = child;
        }
        node[parts[^1]] = value;
    }

    /// <summary>Deep-merges <paramref name="overlay"/> into <paramref name="target"/> (objects merged, anything else replaced).</summary>
    public static void Merge(JsonObject target, JsonObject overlay)
    {
        foreach (var (key, value) in overlay.ToArray())
        {
            if (value is JsonObject o && target[key] is JsonObject t) Merge(t, o);
            else target[key] = value?.DeepClone();
        }
    }

    private static JsonNode? ParseValue(string text, string key)
    {
        var wrapped = ParseYaml($"v: {text}", $"--set {key}");
        var v = wrapped["v"];
        return v?.DeepClone();
    }

    private static JsonNode? Convert(YamlNode node, string source, string path, IDictionary<string, long>? lines)
    {
        switch (node)
        {
            case YamlMappingNode map:
            {
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } name })
                        throw new InputException("keys must be plain strings", source, k.Start.Line, path);
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (obj.ContainsKey(name)) throw new InputException("key appears twice", source, k.Start.Line, childPath);
                    if (lines is not null) lines[childPath] = k.Start.Line;
                    obj[name] = Convert(v, source, childPath, lines);
                }
                return obj;
            }
            case YamlSequenceNode seq:
            {
                var arr = new JsonArray();
                foreach (var item in seq.Children) arr.Add(Convert(item, source, path, lines));
                return arr;
            }
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new InputException("unsupported YAML node (anchors/aliases are not supported)", source, node.Start.Line, path);
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var s = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(s);
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && s.Any(char.IsDigit)) return JsonValue.Create(d);
        return JsonValue.Create(s);
    }
}
