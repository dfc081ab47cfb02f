using System.Globalization;
using System.Text.Json;
using Classify.Core.IO;

namespace Classify.Core.Data.Reading;

/// <summary>
/// Reads the label cell of a row into label names. A cell holds one label, a delimited list (<c>joy,love</c>) or a
/// JSON array (<c>["joy","love"]</c>, <c>[2, 17]</c>). With a fixed label set, names must belong to it and integers
/// index into it; without one, integers stay as their string form.
/// </summary>
internal sealed class LabelParser
{
    private const int MaxListedLabels = 12;

    private readonly string _file;
    private readonly string _field;
    private readonly bool _multilabel;
    private readonly string _delimiter;
    private readonly IReadOnlyList<string>? _fixed;
    private readonly HashSet<string>? _fixedSet;
    private readonly string _fixedSource;
    // Label cells repeat endlessly ("neutral", "27"): parse each distinct cell once and share the result.
    private readonly Dictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    private const int MaxCachedCells = 10_000;

    public LabelParser(string file, string field, bool multilabel, string delimiter, IReadOnlyList<string>? fixedLabels, string fixedSource)
    {
        _file = file;
        _field = field;
        _multilabel = multilabel;
        _delimiter = delimiter;
        _fixed = fixedLabels;
        _fixedSet = fixedLabels?.ToHashSet(StringComparer.Ordinal);
        _fixedSource = fixedSource;
    }

    /// <summary>The label names of one cell (distinct, in cell order). The returned array is shared: do not modify it.</summary>
    public string[] Parse(string? cell, long line)
    {
        cell ??= "";
        if (_cache.TryGetValue(cell, out var cached)) return cached;
        var names = ParseCore(cell, line);
        if (_cache.Count < MaxCachedCells) _cache[cell] = names;
        return names;
    }

    private string[] ParseCore(string cell, long line)
    {
        var raw = cell.Trim();
        List<string> tokens;
        if (raw.StartsWith('[')) tokens = ParseJsonArray(raw, line);
        else if (raw.Length == 0) tokens = [];
        else if (_multilabel)
            tokens = raw.Split(_delimiter, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        else tokens = [raw];

        if (!_multilabel)
        {
            if (tokens.Count == 0) throw new InputException("the label is empty", _file, line, _field);
            if (tokens.Count > 1)
                throw new InputException($"found {tokens.Count} labels ({raw}) in a single-label task; set multilabel: true", _file, line, _field);
        }
        var names = new string[tokens.Count];
        for (int i = 0; i < names.Length; i++) names[i] = Resolve(tokens[i], raw, line);
        return names.Length > 1 ? names.Distinct(StringComparer.Ordinal).ToArray() : names;
    }

    private string Resolve(string token, string raw, long line)
    {
        if (_fixed == null) return token;
        if (_fixedSet!.Contains(token)) return token;
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            if (index < _fixed.Count) return _fixed[index];
            throw new InputException(
                $"label index {index} is out of range: {_fixedSource} has {_fixed.Count} labels (0-{_fixed.Count - 1})", _file, line, _field);
        }
        var allowed = string.Join(", ", _fixed.Take(MaxListedLabels));
        if (_fixed.Count > MaxListedLabels) allowed += $", ... ({_fixed.Count} in total)";
        var hint = !_multilabel && raw.Contains(_delimiter, StringComparison.Ordinal) ? "; for several labels per row set multilabel: true" : "";
        throw new InputException($"unknown label '{token}'; allowed ({_fixedSource}): {allowed}{hint}", _file, line, _field);
    }

    private List<string> ParseJsonArray(string raw, long line)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new InputException($"expected a JSON array of labels, got {raw}", _file, line, _field);
            var list = new List<string>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                list.Add(item.ValueKind switch
                {
                    JsonValueKind.String => item.GetString()!.Trim(),
                    JsonValueKind.Number => item.GetRawText(),
                    _ => throw new InputException($"a label list may hold only strings and integers, found {item.GetRawText()}", _file, line, _field),
                });
            }
            list.RemoveAll(s => s.Length == 0);
            return list;
        }
        catch (JsonException e)
        {
            throw new InputException($"the label looks like a JSON array but is not valid JSON: {e.Message}", _file, line, _field, e);
        }
    }

    /// <summary>Reads one 0/1 indicator cell of a <c>label_cols</c> column.</summary>
    public static bool ParseIndicator(string? cell, string file, long line, string column)
    {
        switch (cell?.Trim().ToLowerInvariant())
        {
            case "1" or "1.0" or "true": return true;
            case "0" or "0.0" or "false" or "" or null: return false;
            default:
                throw new InputException($"expected 0 or 1 in label column '{column}', found '{cell}'", file, line, column);
        }
    }

    /// <summary>Reads a labels file (<c>labels_file</c>): one name per line, no blanks or repeats (trailing blank lines are fine).</summary>
    public static IReadOnlyList<string> ReadNamesFile(string path)
    {
        if (!File.Exists(path)) throw new InputException("labels file not found", path, field: "labels_file");
        var lines = File.ReadAllLines(path, System.Text.Encoding.UTF8);
        int count = lines.Length;
        while (count > 0 && string.IsNullOrWhiteSpace(lines[count - 1])) count--;
        if (count == 0) throw new InputException("the labels file is empty", path, field: "labels_file");
        var names = new string[count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            names[i] = lines[i].Trim().TrimStart('\uFEFF');
            if (names[i].Length == 0) throw new InputException("blank label name", path, i + 1, "labels_file");
            if (!seen.TryAdd(names[i], i + 1))
                throw new InputException($"label '{names[i]}' appears twice (first on line {seen[names[i]]})", path, i + 1, "labels_file");
        }
        return names;
    }
}
