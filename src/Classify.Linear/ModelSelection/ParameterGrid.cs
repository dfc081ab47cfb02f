using System.Collections;
using System.Globalization;

namespace Classify.Linear.ModelSelection;

/// <summary>One combination of hyperparameter values (one row of sklearn's <c>cv_results_['params']</c>), names sorted ordinally.</summary>
public sealed class ParameterSet : IReadOnlyDictionary<string, object?>
{
    private readonly SortedDictionary<string, object?> _values;

    /// <summary>Creates a set from name/value pairs.</summary>
    public ParameterSet(IEnumerable<KeyValuePair<string, object?>> values)
    {
        _values = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in values) _values.Add(name, value);
    }

    /// <inheritdoc />
    public object? this[string key] => _values[key];
    /// <inheritdoc />
    public IEnumerable<string> Keys => _values.Keys;
    /// <inheritdoc />
    public IEnumerable<object?> Values => _values.Values;
    /// <inheritdoc />
    public int Count => _values.Count;
    /// <inheritdoc />
    public bool ContainsKey(string key) => _values.ContainsKey(key);
    /// <inheritdoc />
    public bool TryGetValue(string key, out object? value) => _values.TryGetValue(key, out value);
    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The same set without any of <paramref name="names"/> (used to group candidates along a warm-start path).</summary>
    public ParameterSet Without(IReadOnlyCollection<string> names) => new(_values.Where(p => !names.Contains(p.Key)));

    /// <summary>Text of one value as it appears in tables: numbers in round-trip form, null as <c>None</c>, enums in snake_case (<c>l1</c>), other objects by their ToString.</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "None",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        // Enum values as in configs and sklearn: Penalty.L1 → l1, MultiClassMode.Ovr → ovr.
        Enum e => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "None",
    };

    /// <summary><c>C=1, penalty=l2</c>.</summary>
    public override string ToString() => string.Join(", ", _values.Select(p => $"{p.Key}={FormatValue(p.Value)}"));

    /// <summary>Two sets are equal when they hold the same names with equally formatted values.</summary>
    public override bool Equals(object? obj) => obj is ParameterSet other && other.ToString() == ToString();

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}

/// <summary>
/// The Cartesian product of hyperparameter value lists, enumerated in scikit-learn's <c>ParameterGrid</c> order:
/// names sorted, the last name varying fastest.
/// </summary>
public sealed class ParameterGrid : IReadOnlyList<ParameterSet>
{
    private readonly List<ParameterSet> _candidates = new();

    /// <summary>Creates a grid from a map of parameter name → candidate values (each list non-empty).</summary>
    public ParameterGrid(IReadOnlyDictionary<string, IReadOnlyList<object?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("A parameter grid needs at least one parameter.", nameof(values));
        var names = values.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        foreach (var name in names)
            if (values[name].Count == 0) throw new ArgumentException($"Parameter '{name}' has no values.", nameof(values));
        Names = names;
        var index = new int[names.Length];
        while (true)
        {
            _candidates.Add(new ParameterSet(names.Select((n, i) => new KeyValuePair<string, object?>(n, values[n][index[i]]))));
            int p = names.Length - 1;
            while (p >= 0 && ++index[p] == values[names[p]].Count) { index[p] = 0; p--; }
            if (p < 0) break;
        }
    }

    /// <summary>The parameter names, sorted ordinally.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <inheritdoc />
    public ParameterSet this[int index] => _candidates[index];
    /// <inheritdoc />
    public int Count => _candidates.Count;
    /// <inheritdoc />
    public IEnumerator<ParameterSet> GetEnumerator() => _candidates.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
