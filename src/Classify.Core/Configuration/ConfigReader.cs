using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.Core.Configuration;

/// <summary>
/// Typed, validated access to one section of a config tree. Every getter names the full key path in its error
/// messages, and <see cref="EnsureOnlyKnownKeys"/> turns typos into errors instead of silently ignored settings.
/// </summary>
public sealed class ConfigReader
{
    private readonly JsonObject _section;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly Func<string, long?>? _lineOf;
    private readonly Func<string, string?>? _sourceOf;

    /// <summary>
    /// Wraps a section found at <paramref name="path"/> (for messages; "" for the root). <paramref name="lineOf"/> maps a
    /// full dotted key to its line in <paramref name="source"/>, so errors can point at it; <paramref name="sourceOf"/>
    /// names where a key came from when that is not <paramref name="source"/> (a command-line flag).
    /// </summary>
    public ConfigReader(JsonObject? section, string path = "", string? source = null, Func<string, long?>? lineOf = null,
        Func<string, string?>? sourceOf = null)
    {
        _section = section ?? new JsonObject();
        Path = path;
        Source = source;
        _lineOf = lineOf;
        _sourceOf = sourceOf;
    }

    /// <summary>The dotted key path of this section.</summary>
    public string Path { get; }
    /// <summary>The config file (for messages), if any.</summary>
    public string? Source { get; }
    /// <summary>The raw section.</summary>
    public JsonObject Raw => _section;

    /// <summary>True when the key is present and not null.</summary>
    public bool Has(string key) => _section[key] is not null;

    /// <summary>A nested section (empty when absent).</summary>
    public ConfigReader Section(string key)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => new ConfigReader(null, Key(key), Source, _lineOf, _sourceOf),
            JsonObject o => new ConfigReader(o, Key(key), Source, _lineOf, _sourceOf),
            _ => throw Error(key, "expected a mapping of keys to values"),
        };
    }

    /// <summary>A string value.</summary>
    public string? String(string key, string? fallback = null)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => throw Error(key, "expected a text value"),
        };
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (case-insensitive; returned lower-case).</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        var s = String(key, fallback)!.Trim().ToLowerInvariant();
        if (!allowed.Contains(s)) throw Error(key, $"'{s}' is not one of: {string.Join(", ", allowed)}");
        return s;
    }

    /// <summary>A boolean.</summary>
    public bool Bool(string key, bool fallback)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw Error(key, "expected true or false"),
        };
    }

    /// <summary>A double.</summary>
    public double Double(string key, double fallback) => NullableDouble(key) ?? fallback;

    /// <summary>A double or null when absent.</summary>
    public double? NullableDouble(string key)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonNumber.ToDouble(v),
            JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw Error(key, "expected a number"),
        };
    }

    /// <summary>An integer.</summary>
    public int Int(string key, int fallback) => NullableInt(key) ?? fallback;

    /// <summary>An integer or null when absent.</summary>
    public int? NullableInt(string key)
    {
        var d = NullableDouble(key);
        if (d is null) return null;
        if (d != Math.Floor(d.Value) || d > int.MaxValue || d < int.MinValue) throw Error(key, "expected a whole number");
        return (int)d.Value;
    }

    /// <summary>A list of strings (a single string is a one-element list).</summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => null,
            JsonArray a => a.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : n?.ToJsonString() ?? throw Error($"{key}[{i}]", "null in a list")).ToArray(),
            JsonValue v when v.TryGetValue<string>(out var s) => [s],
            _ => throw Error(key, "expected a list"),
        };
    }

    /// <summary>A list of numbers (a single number is a one-element list).</summary>
    public IReadOnlyList<double>? DoubleList(string key)
    {
        _read.Add(key);
        return _section[key] switch
        {
            null => null,
            JsonArray a => a.Select((n, i) => JsonNumber.IsNumber(n) ? JsonNumber.ToDouble(n!)
                : throw Error($"{key}[{i}]", "expected a number")).ToArray(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => [JsonNumber.ToDouble(v)],
            _ => throw Error(key, "expected a list of numbers"),
        };
    }

    /// <summary>The raw node of a key (marks it as read).</summary>
    public JsonNode? Node(string key)
    {
        _read.Add(key);
        return _section[key];
    }

    /// <summary>Throws when the section holds a key no getter asked for (a typo, or an option of another engine).</summary>
    public void EnsureOnlyKnownKeys(params string[] alsoAllowed)
    {
        foreach (var (key, _) in _section)
            if (!_read.Contains(key) && !alsoAllowed.Contains(key))
                throw Error(key, $"unknown setting (known here: {string.Join(", ", _read.Concat(alsoAllowed).Order())})");
    }

    /// <summary>An input error for a key of this section.</summary>
    public InputException Error(string key, string reason) => new(reason, SourceOf(key), LineOf(key), Key(key));

    /// <summary>The line of a key of this section in the source file, when known (else the nearest enclosing key's).</summary>
    public long? LineOf(string key) => _lineOf?.Invoke(Key(key));

    /// <summary>Where a key of this section was set: <see cref="Source"/>, or the command line for a flag's value.</summary>
    public string? SourceOf(string key) => _sourceOf?.Invoke(Key(key)) ?? Source;

    private string Key(string key) => Path.Length == 0 ? key : $"{Path}.{key}";
}

/// <summary>Reads JSON numbers whatever CLR type the node was created with (YAML integers are stored as <see cref="long"/>).</summary>
public static class JsonNumber
{
    /// <summary>True when <paramref name="node"/> is a JSON number.</summary>
    public static bool IsNumber(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    /// <summary>The number as a double.</summary>
    public static double ToDouble(JsonNode node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d
        : double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
