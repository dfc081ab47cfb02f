using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.Core.Data.Rules;

/// <summary>
/// A label computed from other columns (<c>data.derive_label</c>), instead of read from <c>label_col</c>: the first case
/// whose condition the row meets gives its label, else <see cref="Otherwise"/>.
/// <code>
/// derive_label:
///   cases:
///     - label: needs_code
///       when: {any: [{column: main_therapist_behaviour, not_in: ["n/a"]}, {column: client_talk_type, not_in: ["n/a"]}]}
///   otherwise: no_code          # omit it to make a row that meets no case an error naming its line
/// </code>
/// Single-label only: the derived value is the row's one label.
/// </summary>
/// <param name="Cases">The cases, in order.</param>
/// <param name="Otherwise">The label of a row that meets no case, or null (an error).</param>
public sealed record DerivedLabel(IReadOnlyList<DerivedLabelCase> Cases, string? Otherwise)
{
    /// <summary>The columns the cases read.</summary>
    public IEnumerable<string> Columns => Cases.SelectMany(c => c.When.Columns).Distinct(StringComparer.Ordinal);

    /// <summary>The label of the row, or null when no case holds and there is no <see cref="Otherwise"/>.</summary>
    public string? LabelOf(Func<string, string?> cell)
    {
        foreach (var c in Cases)
            if (c.When.IsMetBy(cell)) return c.Label;
        return Otherwise;
    }

    /// <summary>The labels it can produce, in case order then <see cref="Otherwise"/> (the schema's order).</summary>
    public IReadOnlyList<string> Labels => Cases.Select(c => c.Label).Append(Otherwise).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Parses the <c>derive_label</c> object; errors name <paramref name="key"/> and the part.</summary>
    /// <exception cref="InputException">A malformed case, an empty label, no cases, or an unknown key.</exception>
    public static DerivedLabel Parse(JsonNode? node, string key)
    {
        if (node is not JsonObject o) throw new InputException("expected {cases: [{label: L, when: condition}, …], otherwise: L}", field: key);
        foreach (var (k, _) in o)
            if (k is not ("cases" or "otherwise")) throw new InputException($"unknown key '{k}'; expected cases and otherwise", field: $"{key}.{k}");
        if (o["cases"] is not JsonArray cases || cases.Count == 0) throw new InputException("needs a non-empty list of cases", field: $"{key}.cases");
        if (cases.Count > RowCondition.MaxNodes) throw new InputException($"at most {RowCondition.MaxNodes} cases", field: $"{key}.cases");
        var parsed = new List<DerivedLabelCase>();
        for (int i = 0; i < cases.Count; i++)
        {
            var at = $"{key}.cases[{i}]";
            if (cases[i] is not JsonObject c) throw new InputException("expected {label: L, when: condition}", field: at);
            foreach (var (k, _) in c)
                if (k is not ("label" or "when")) throw new InputException($"unknown key '{k}'; expected label and when", field: $"{at}.{k}");
            var label = Label(c["label"], $"{at}.label") ?? throw new InputException("each case gives a label", field: $"{at}.label");
            if (!c.ContainsKey("when")) throw new InputException("each case has a condition (when: …)", field: $"{at}.when");
            parsed.Add(new DerivedLabelCase(label, RowCondition.Parse(c["when"], $"{at}.when")));
        }
        return new DerivedLabel(parsed, o.ContainsKey("otherwise") ? Label(o["otherwise"], $"{key}.otherwise") : null);
    }

    private static string? Label(JsonNode? node, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) => s.Trim(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => v.ToJsonString(),
        _ => throw new InputException("a label is a non-empty string", field: key),
    };
}

/// <summary>One case of a <see cref="DerivedLabel"/>: rows meeting <paramref name="When"/> get <paramref name="Label"/>.</summary>
public sealed record DerivedLabelCase(string Label, RowCondition When);
