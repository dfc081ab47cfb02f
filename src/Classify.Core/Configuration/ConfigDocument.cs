using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using YamlDotNet.Core;

namespace Classify.Core.Configuration;

/// <summary>
/// Reads YAML config files into a JSON tree (the form recorded in run.json) and applies <c>key.path=value</c>
/// overrides from the command line. Plain YAML scalars become booleans, numbers or null as YAML 1.2's core schema
/// says; quoted scalars stay strings. Anchors and aliases are expanded. Errors name the file, line and key.
/// <para>Limits, each refused with an <see cref="InputException"/> before the work is done: a file of at most 1 MiB,
/// mappings and sequences nested at most 32 deep, and at most 100,000 values once aliases are expanded (so a
/// few hundred bytes of nested aliases cannot expand into gigabytes).</para>
/// </summary>
public static class ConfigDocument
{
    /// <summary>The largest config file read, in bytes (and the longest YAML text, in characters).</summary>
    internal const int MaxBytes = 1 << 20;

    /// <summary>
    /// The deepest nesting of mappings and sequences (the top-level mapping counts as 1). Real configs nest 3 or 4
    /// deep; run.json stores the tree one level down, and System.Text.Json refuses to write past depth 64.
    /// </summary>
    internal const int MaxDepth = 32;

    /// <summary>The most values (mappings, sequences and scalars) a document may hold once aliases are expanded.</summary>
    internal const int MaxNodes = 100_000;

    /// <summary>
    /// Parses a YAML file; an empty file gives an empty object. <paramref name="lines"/>, when given, receives the line
    /// of every key (dotted path → 1-based line), so later errors can point at it.
    /// </summary>
    public static JsonObject LoadYaml(string path, IDictionary<string, long>? lines = null)
    {
        if (!File.Exists(path)) throw new InputException("config file not found", path);
        var size = new FileInfo(path).Length;
        if (size > MaxBytes)
            throw new InputException($"the config file is {size:N0} bytes; a config may be at most {MaxBytes:N0} bytes (1 MiB)", path);
        return ParseYaml(File.ReadAllText(path), path, lines);
    }

    /// <summary>Parses YAML text whose root must be a mapping (see <see cref="LoadYaml"/> for <paramref name="lines"/>).</summary>
    public static JsonObject ParseYaml(string yaml, string sourceName = "<config>", IDictionary<string, long>? lines = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxBytes)
            throw new InputException($"the config is {yaml.Length:N0} characters long; a config may be at most {MaxBytes:N0}", sourceName);
        try
        {
            return new YamlTreeBuilder(new Parser(new StringReader(yaml)), sourceName, lines).Build();
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

    /// <summary>A plain scalar read with YAML 1.2's core schema; a quoted or block scalar is a string.</summary>
    internal static JsonNode? Scalar(string value, ScalarStyle style)
    {
        if (style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && value.Any(char.IsDigit)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }
}
