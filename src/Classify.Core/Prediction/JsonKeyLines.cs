using System.Text.Json;

namespace Classify.Core.Prediction;

/// <summary>
/// Where the keys of a JSON document are: the 1-based line of every object key, by dotted path (<c>temperature</c>,
/// <c>context.turns</c>), so that errors about a value can point at its line. Keys inside arrays are not mapped.
/// </summary>
internal static class JsonKeyLines
{
    /// <summary>The line of each key (the first occurrence when a key repeats); empty when the text is not JSON.</summary>
    public static IReadOnlyDictionary<string, long> Map(ReadOnlySpan<byte> json)
    {
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var path = new List<string?>();      // one entry per open container: its key, or null inside an array
        string? pending = null;
        long line = 1;
        int scanned = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        int start = (int)reader.TokenStartIndex;
                        line += json[scanned..start].Count((byte)'\n');
                        scanned = start;
                        pending = reader.GetString();
                        if (path.Count > 0 && path.Skip(1).All(p => p is not null))
                            lines.TryAdd(string.Join('.', path.Skip(1).Append(pending)), line);
                        break;
                    case JsonTokenType.StartObject:
                        path.Add(path.Count == 0 ? "" : pending);
                        pending = null;
                        break;
                    case JsonTokenType.StartArray:
                        path.Add(path.Count == 0 ? "" : null);   // array elements have no key
                        pending = null;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        pending = null;
                        break;
                    default:
                        pending = null;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Best effort: the caller reports the malformed JSON itself.
        }
        return lines;
    }
}
