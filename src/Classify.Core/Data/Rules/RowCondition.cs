using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.Core.Data.Rules;

/// <summary>
/// A test on the cells of one row, written in a config as a small tree (<c>data.filter</c>, the cases of
/// <c>data.derive_label</c>):
/// <code>
/// {column: interlocutor, in: [therapist]}              # the cell is one of the values
/// {column: main_therapist_behaviour, not_in: ["n/a"]}  # … is none of them
/// {column: note, empty: true}                          # the cell is empty or whitespace (false: it is not)
/// {all: [c1, c2, …]}  {any: [c1, c2, …]}  {not: c}     # and, or, not
/// </code>
/// Values are compared as trimmed strings, case-sensitively: YAML numbers and booleans are compared by their text
/// (<c>in: [0, 1]</c> matches the cells <c>0</c> and <c>1</c>).
/// </summary>
public abstract record RowCondition
{
    /// <summary>The columns the condition reads, each once.</summary>
    public abstract IEnumerable<string> Columns { get; }

    /// <summary>True when the row whose cell of a column <paramref name="cell"/> returns satisfies the condition.</summary>
    public abstract bool IsMetBy(Func<string, string?> cell);

    /// <summary>The most conditions one tree may hold: a config is untrusted input.</summary>
    public const int MaxNodes = 1_000;

    /// <summary>Parses a condition tree; <paramref name="key"/> is the config key, named by every error.</summary>
    /// <exception cref="InputException">An unknown form, a missing column or an empty value list.</exception>
    public static RowCondition Parse(JsonNode? node, string key)
    {
        int nodes = 0;
        return Parse(node, key, ref nodes, depth: 0);
    }

    private static RowCondition Parse(JsonNode? node, string key, ref int nodes, int depth)
    {
        if (++nodes > MaxNodes || depth > 32) throw new InputException($"the condition is too large (at most {MaxNodes} tests, nested 32 deep)", field: key);
        if (node is not JsonObject o)
            throw new InputException("expected a condition: {column: C, in: [...]}, {column: C, not_in: [...]}, {column: C, empty: true}, {all: [...]}, {any: [...]} or {not: ...}", field: key);
        if (o.Count == 1 && (o.ContainsKey("all") || o.ContainsKey("any")))
        {
            bool all = o.ContainsKey("all");
            var name = all ? "all" : "any";
            if (o[name] is not JsonArray items || items.Count == 0) throw new InputException($"'{name}' needs a non-empty list of conditions", field: $"{key}.{name}");
            var parts = new List<RowCondition>(items.Count);
            for (int i = 0; i < items.Count; i++) parts.Add(Parse(items[i], $"{key}.{name}[{i}]", ref nodes, depth + 1));
            return all ? new AllOf(parts) : new AnyOf(parts);
        }
        if (o.Count == 1 && o.ContainsKey("not")) return new Not(Parse(o["not"], $"{key}.not", ref nodes, depth + 1));
        if (o["column"] is not JsonValue columnValue || !columnValue.TryGetValue(out string? column) || string.IsNullOrWhiteSpace(column))
            throw new InputException("a test names its column: {column: C, in: [...]} (or use all/any/not)", field: key);
        var tests = o.Where(kv => kv.Key != "column").ToList();
        if (tests.Count != 1)
            throw new InputException($"a test on '{column}' needs exactly one of in, not_in, empty; got {(tests.Count == 0 ? "none" : string.Join(", ", tests.Select(t => t.Key)))}", field: key);
        var (test, arg) = (tests[0].Key, tests[0].Value);
        switch (test)
        {
            case "in" or "not_in":
                if (arg is not JsonArray values || values.Count == 0) throw new InputException($"'{test}' needs a non-empty list of values", field: $"{key}.{test}");
                var set = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < values.Count; i++)
                    set.Add(Text(values[i]) ?? throw new InputException("a value must be a string, number or boolean", field: $"{key}.{test}[{i}]"));
                return new ValueIn(column, set, Negated: test == "not_in");
            case "empty":
                if (arg is not JsonValue b || !b.TryGetValue(out bool empty)) throw new InputException("'empty' is true or false", field: $"{key}.empty");
                return new IsEmpty(column, empty);
            default:
                throw new InputException($"unknown test '{test}'; expected in, not_in or empty", field: $"{key}.{test}");
        }
    }

    // YAML scalars arrive as strings, numbers or booleans: compare them by their text as written.
    private static string? Text(JsonNode? node) => node is JsonValue v
        ? v.TryGetValue(out string? s) ? s : v.GetValueKind() is System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False ? v.ToJsonString() : null
        : null;

    /// <summary>The cell is (or, negated, is not) one of <paramref name="Values"/>.</summary>
    public sealed record ValueIn(string Column, IReadOnlySet<string> Values, bool Negated) : RowCondition
    {
        /// <inheritdoc />
        public override IEnumerable<string> Columns => [Column];
        /// <inheritdoc />
        public override bool IsMetBy(Func<string, string?> cell) => Values.Contains(cell(Column)?.Trim() ?? "") != Negated;
    }

    /// <summary>The cell is empty or whitespace (or, with <paramref name="Empty"/> false, it is not).</summary>
    public sealed record IsEmpty(string Column, bool Empty) : RowCondition
    {
        /// <inheritdoc />
        public override IEnumerable<string> Columns => [Column];
        /// <inheritdoc />
        public override bool IsMetBy(Func<string, string?> cell) => string.IsNullOrWhiteSpace(cell(Column)) == Empty;
    }

    /// <summary>Every part holds.</summary>
    public sealed record AllOf(IReadOnlyList<RowCondition> Parts) : RowCondition
    {
        /// <inheritdoc />
        public override IEnumerable<string> Columns => Parts.SelectMany(p => p.Columns).Distinct(StringComparer.Ordinal);
        /// <inheritdoc />
        public override bool IsMetBy(Func<string, string?> cell) => Parts.All(p => p.IsMetBy(cell));
    }

    /// <summary>At least one part holds.</summary>
    public sealed record AnyOf(IReadOnlyList<RowCondition> Parts) : RowCondition
    {
        /// <inheritdoc />
        public override IEnumerable<string> Columns => Parts.SelectMany(p => p.Columns).Distinct(StringComparer.Ordinal);
        /// <inheritdoc />
        public override bool IsMetBy(Func<string, string?> cell) => Parts.Any(p => p.IsMetBy(cell));
    }

    /// <summary>The part does not hold.</summary>
    public sealed record Not(RowCondition Part) : RowCondition
    {
        /// <inheritdoc />
        public override IEnumerable<string> Columns => Part.Columns;
        /// <inheritdoc />
        public override bool IsMetBy(Func<string, string?> cell) => !Part.IsMetBy(cell);
    }
}
