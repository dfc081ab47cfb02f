using System.Text.Json;
using System.Text.Json.Nodes;

namespace Classify.Tuning.Space;

/// <summary>Equality and JSON round trips of parameter values (string, long, double, bool, null, lists of those).</summary>
public static class ParameterValues
{
    /// <summary>True when both values serialise to the same JSON.</summary>
    public static bool AreEqual(object? a, object? b) => ToJson(a) == ToJson(b);

    /// <summary>Compact JSON of a value.</summary>
    public static string ToJson(object? value) => ToNode(value)?.ToJsonString() ?? "null";

    /// <summary>A JSON node for a value.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        // A whole double keeps its ".0" ("1.0", not "1"), so that it reads back as a double and not as a long.
        double d when double.IsFinite(d) && d == Math.Truncate(d) && Math.Abs(d) < 1e15 =>
            JsonNode.Parse(d.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)),
        double d => JsonValue.Create(d),
        IEnumerable<object?> list => new JsonArray(list.Select(ToNode).ToArray()),
        _ => throw new ArgumentException($"unsupported parameter value type {value.GetType().Name}", nameof(value)),
    };

    /// <summary>The plain value of a JSON node (integers as long, other numbers as double).</summary>
    public static object? FromNode(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array => array.Select(FromNode).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(v.ToJsonString()),
        _ => throw new ArgumentException($"unsupported JSON parameter value {node.ToJsonString()}", nameof(node)),
    };

    // Integers stay integers (long) and everything else is a double, whatever JsonNode holds underneath.
    private static object Number(string text) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)
            ? l : (object)double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A parameters object as compact JSON with keys in the given order.</summary>
    public static string ToJson(IReadOnlyDictionary<string, object?> parameters)
    {
        var o = new JsonObject();
        foreach (var (k, v) in parameters) o[k] = ToNode(v);
        return o.ToJsonString();
    }

    /// <summary>A parameters object from JSON.</summary>
    public static IReadOnlyDictionary<string, object?> ParametersFromJson(string json)
    {
        var o = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("trial parameters must be a JSON object");
        var result = new Dictionary<string, object?>();
        foreach (var (k, v) in o) result[k] = FromNode(v);
        return result;
    }
}
