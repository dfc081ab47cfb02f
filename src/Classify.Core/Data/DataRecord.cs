using System.Globalization;

namespace Classify.Core.Data;

/// <summary>
/// The column names of a data file: the header of a CSV/TSV file, the given or positional names of a headerless
/// one, or the keys of a JSON Lines object. Consecutive records with the same names share one instance.
/// </summary>
public sealed class RecordColumns : IReadOnlyList<string>
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _exact = new(StringComparer.Ordinal);
    private readonly bool _positional;

    /// <summary>Creates a column set.</summary>
    /// <param name="names">Column names in file order.</param>
    /// <param name="positional">
    /// True for headerless files: a column may then also be addressed by its 0-based index (<c>"0"</c>, <c>"1"</c>, ...).
    /// </param>
    public RecordColumns(IReadOnlyList<string> names, bool positional = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names.ToArray();
        _positional = positional;
        for (int i = 0; i < _names.Length; i++) _exact.TryAdd(_names[i], i);
    }

    /// <summary>Number of columns.</summary>
    public int Count => _names.Length;

    /// <summary>The name of column <paramref name="index"/>.</summary>
    public string this[int index] => _names[index];

    /// <summary>True when columns can also be addressed by their 0-based index (headerless files).</summary>
    public bool IsPositional => _positional;

    /// <summary>
    /// The index of a column, or -1. An exact name wins; otherwise a unique case-insensitive match of the trimmed
    /// name (so <c>Text</c> finds <c>text</c>); in a headerless file a 0-based index such as <c>"2"</c> also works.
    /// </summary>
    public int IndexOf(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (_exact.TryGetValue(column, out int i)) return i;
        var wanted = column.Trim();
        int found = -1;
        for (int j = 0; j < _names.Length; j++)
        {
            if (!string.Equals(_names[j].Trim(), wanted, StringComparison.OrdinalIgnoreCase)) continue;
            if (found >= 0) { found = -2; break; }
            found = j;
        }
        if (found >= 0) return found;
        if (_positional && int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < _names.Length) return k;
        return -1;
    }

    /// <summary>True when <paramref name="column"/> resolves to a column (see <see cref="IndexOf"/>).</summary>
    public bool Contains(string column) => IndexOf(column) >= 0;

    /// <summary>The names for an error message: quoted, comma-separated, cut after <paramref name="max"/> names.</summary>
    public string Describe(int max = 20)
    {
        var shown = _names.Take(max).Select((n, i) => _positional ? $"{i} ('{n}')" : $"'{n}'");
        var text = string.Join(", ", shown);
        return _names.Length > max ? $"{text}, ... ({_names.Length} in total)" : text;
    }

    internal bool SameNames(IReadOnlyList<string> names)
    {
        if (names.Count != _names.Length) return false;
        for (int i = 0; i < _names.Length; i++) if (!string.Equals(names[i], _names[i], StringComparison.Ordinal)) return false;
        return true;
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// One data row as strings, with where it came from. JSON Lines values are turned into strings: a JSON string as
/// is, a number in its JSON spelling, <c>true</c>/<c>false</c>, null as null, and arrays/objects as their JSON
/// text (so a label list <c>["joy","love"]</c> reaches the label parser unchanged).
/// </summary>
public sealed class DataRecord
{
    private readonly string?[] _values;

    /// <summary>Creates a record; <paramref name="values"/> line up with <paramref name="columns"/>.</summary>
    public DataRecord(RecordColumns columns, string?[] values, long line, long rowNumber)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != columns.Count)
            throw new ArgumentException($"{values.Length} values for {columns.Count} columns.", nameof(values));
        Columns = columns;
        _values = values;
        Line = line;
        RowNumber = rowNumber;
    }

    /// <summary>The column names.</summary>
    public RecordColumns Columns { get; }

    /// <summary>1-based physical line in the file where the record starts (a quoted field may span more lines).</summary>
    public long Line { get; }

    /// <summary>1-based number of the record among the data rows (the header does not count).</summary>
    public long RowNumber { get; }

    /// <summary>Number of fields.</summary>
    public int Count => _values.Length;

    /// <summary>The value of field <paramref name="index"/> (null only for a JSON null).</summary>
    public string? this[int index] => _values[index];

    /// <summary>The value of a column (resolved as in <see cref="RecordColumns.IndexOf"/>); false when there is no such column.</summary>
    public bool TryGetValue(string column, out string? value)
    {
        int i = Columns.IndexOf(column);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }
}
