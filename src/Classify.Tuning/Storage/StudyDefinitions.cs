using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.Tuning.Storage;

/// <summary>
/// The rule every storage applies when a study name is reused: the same definition continues the study, another one is
/// refused with what differs. Public so that a storage outside this assembly (PostgreSQL) applies the same rule.
/// </summary>
public static class StudyDefinitions
{
    // Enough differences to see what changed without drowning the message when the whole space was rewritten.
    private const int MaxListed = 5;

    /// <summary>
    /// What differs between the stored definition and the requested one, one entry per difference ("direction: stored
    /// maximize, requested minimize", "space.lr.high: stored 0.1, requested 0.2"); empty when they match. The JSON
    /// definitions are compared as JSON (key order and whitespace do not matter), path by path.
    /// </summary>
    public static IReadOnlyList<string> Differences(StudyDefinition stored, StudyDefinition requested)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(requested);
        var differences = new List<string>();
        if (stored.Direction != requested.Direction)
            differences.Add($"direction: stored {Lower(stored.Direction)}, requested {Lower(requested.Direction)}");
        if (!string.Equals(stored.Metric, requested.Metric, StringComparison.Ordinal))
            differences.Add($"metric: stored {stored.Metric}, requested {requested.Metric}");
        JsonNode? a, b;
        try
        {
            a = JsonNode.Parse(stored.DefinitionJson);
            b = JsonNode.Parse(requested.DefinitionJson);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON (a hand-edited database): only the text can be compared.
            if (!string.Equals(stored.DefinitionJson, requested.DefinitionJson, StringComparison.Ordinal))
                differences.Add("definition: the stored text differs from the requested one");
            return differences;
        }
        CompareNodes("", a, b, differences);
        return differences;
    }

    /// <summary>
    /// Throws an <see cref="InputException"/> naming the study, the storage and what differs when the definitions differ
    /// (the CLI prints it as one line and writes nothing).
    /// </summary>
    public static void EnsureSame(StudyDefinition stored, StudyDefinition requested, string storageDescription)
    {
        var differences = Differences(stored, requested);
        if (differences.Count == 0) return;
        var listed = string.Join("; ", differences.Take(MaxListed));
        if (differences.Count > MaxListed) listed += $"; and {differences.Count - MaxListed} more";
        throw new InputException(
            $"study '{requested.Name}' in {storageDescription} has another definition ({listed}); " +
            "rerun with the stored settings to continue it, or choose another study name", field: "--study");
    }

    private static void CompareNodes(string path, JsonNode? a, JsonNode? b, List<string> differences)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key), StringComparer.Ordinal))
            {
                var child = path.Length == 0 ? key : $"{path}.{key}";
                var inA = oa.TryGetPropertyValue(key, out var va);
                var inB = ob.TryGetPropertyValue(key, out var vb);
                if (!inA) differences.Add($"{child}: not stored, requested {Text(vb)}");
                else if (!inB) differences.Add($"{child}: stored {Text(va)}, not requested");
                else CompareNodes(child, va, vb, differences);
            }
            return;
        }
        if (a is JsonArray xa && b is JsonArray xb && xa.Count == xb.Count)
        {
            for (int i = 0; i < xa.Count; i++) CompareNodes($"{path}[{i}]", xa[i], xb[i], differences);
            return;
        }
        if (!JsonNode.DeepEquals(a, b))
            differences.Add($"{(path.Length == 0 ? "definition" : path)}: stored {Text(a)}, requested {Text(b)}");
    }

    private static string Text(JsonNode? node)
    {
        var s = node?.ToJsonString() ?? "null";
        return s.Length <= 60 ? s : s[..57] + "...";
    }

    private static string Lower(Trials.StudyDirection d) => d.ToString().ToLowerInvariant();
}
