using System.Text.Json.Serialization;

namespace Classify.Core.Labels;

/// <summary>
/// The task kind and the label names in a fixed order. Label indices everywhere in Classify
/// (metrics, probabilities, model outputs) refer to positions in <see cref="Labels"/>.
/// </summary>
public sealed class LabelSchema
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a schema; label names must be unique and non-empty.</summary>
    [JsonConstructor]
    public LabelSchema(TaskKind kind, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("A label schema needs at least one label.", nameof(labels));
        if (kind == TaskKind.Binary && labels.Count != 2)
            throw new ArgumentException($"A binary task has exactly 2 labels, got {labels.Count}.", nameof(labels));
        if (kind == TaskKind.Multiclass && labels.Count < 2)
            throw new ArgumentException("A multiclass task needs at least 2 labels.", nameof(labels));
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i])) throw new ArgumentException($"Label {i} is empty.", nameof(labels));
            if (!_index.TryAdd(labels[i], i)) throw new ArgumentException($"Label '{labels[i]}' appears twice.", nameof(labels));
        }
        Kind = kind;
        Labels = labels.ToArray();
    }

    /// <summary>The task kind.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<TaskKind>))]
    public TaskKind Kind { get; }

    /// <summary>Label names; the position of a name is its index.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Number of labels.</summary>
    [JsonIgnore] public int Count => Labels.Count;

    /// <summary>True for multi-label tasks (independent sigmoid per label); false when exactly one label applies.</summary>
    [JsonIgnore] public bool IsMultilabel => Kind == TaskKind.Multilabel;

    /// <summary>The index of a label name, or -1 when unknown.</summary>
    public int IndexOf(string label) => _index.TryGetValue(label, out var i) ? i : -1;

    /// <summary>True when <paramref name="label"/> is one of the names.</summary>
    public bool Contains(string label) => _index.ContainsKey(label);

    /// <summary>
    /// Builds a schema from labels seen in data: binary for two single labels, multiclass for more,
    /// multilabel when asked. Names are sorted ordinally unless <paramref name="order"/> is given.
    /// </summary>
    public static LabelSchema FromObserved(IEnumerable<string> observed, bool multilabel, IReadOnlyList<string>? order = null)
    {
        var names = order?.ToArray() ?? observed.Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var kind = multilabel ? TaskKind.Multilabel : names.Length == 2 ? TaskKind.Binary : TaskKind.Multiclass;
        return new LabelSchema(kind, names);
    }

    /// <summary>The task and its labels, the first 20 of many (a log line stays a line with thousands of labels).</summary>
    public override string ToString() => Labels.Count <= ShownLabels
        ? $"{Kind.ToName()} [{string.Join(", ", Labels)}]"
        : $"{Kind.ToName()} [{string.Join(", ", Labels.Take(ShownLabels))}, … {Labels.Count - ShownLabels:N0} more; {Labels.Count:N0} labels]";

    private const int ShownLabels = 20;
}
