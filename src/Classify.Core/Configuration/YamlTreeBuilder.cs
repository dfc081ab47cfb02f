using System.Text.Json.Nodes;
using Classify.Core.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Classify.Core.Configuration;

/// <summary>
/// Builds the JSON tree of the first document of a YAML stream from the parser's events, with a stack of open
/// collections instead of recursion (YamlDotNet's <c>YamlStream</c> recurses, and a 100,000-deep <c>[[[…]]]</c>
/// overflowed the stack). Aliases are expanded by copying the anchored value, after checking that the copy stays
/// within <see cref="ConfigDocument.MaxNodes"/> values and <see cref="ConfigDocument.MaxDepth"/> levels, so an alias
/// bomb is refused before it grows.
/// </summary>
internal sealed class YamlTreeBuilder
{
    private readonly IParser _parser;
    private readonly string _source;
    private readonly Dictionary<string, Anchored> _anchors = new(StringComparer.Ordinal);
    private readonly Stack<OpenCollection> _open = new();
    private int _nodes;
    private JsonObject? _root;

    private readonly IDictionary<string, long>? _lines;

    /// <summary>Reads from <paramref name="parser"/>; <paramref name="lines"/>, when given, receives each key's dotted path and line.</summary>
    public YamlTreeBuilder(IParser parser, string source, IDictionary<string, long>? lines = null)
    {
        _parser = parser;
        _source = source;
        _lines = lines;
    }

    /// <summary>An anchored value: the tree to copy for each alias, its scalar text (for use as a key), size and height.</summary>
    private sealed record Anchored(JsonNode? Value, string? ScalarText, int Nodes, int Height);

    private sealed class OpenCollection(JsonNode container, string path, string? anchor, int nodesBefore)
    {
        public JsonNode Container { get; } = container;
        public string Path { get; } = path;
        public string? Anchor { get; } = anchor;
        public int NodesBefore { get; } = nodesBefore;
        /// <summary>1 + the height of the tallest child collection.</summary>
        public int Height { get; set; } = 1;
        /// <summary>In a mapping: the key read, waiting for its value.</summary>
        public string? PendingKey { get; set; }
    }

    /// <summary>Reads the whole stream; the first document must be a mapping (or empty). Later documents are parsed (syntax errors count) but ignored.</summary>
    public JsonObject Build()
    {
        var documents = 0;
        while (_parser.MoveNext())
        {
            var current = _parser.Current!;
            switch (current)
            {
                case StreamStart or StreamEnd or DocumentEnd:
                    continue;
                case DocumentStart:
                    documents++;
                    continue;
            }
            if (documents > 1) continue;
            switch (current)
            {
                case MappingStart mapping:
                    Open(new JsonObject(), mapping);
                    break;
                case SequenceStart sequence:
                    Open(new JsonArray(), sequence);
                    break;
                case MappingEnd or SequenceEnd:
                    Close();
                    break;
                case Scalar scalar:
                    CountNodes(1, scalar.Start.Line);
                    var value = ConfigDocument.Scalar(scalar.Value, scalar.Style);
                    if (!scalar.Anchor.IsEmpty) _anchors[scalar.Anchor.Value] = new Anchored(value, scalar.Value, 1, 0);
                    Attach(value, scalar.Value, 0, scalar.Start.Line);
                    break;
                case AnchorAlias alias:
                    ExpandAlias(alias);
                    break;
                default:
                    throw new InputException($"unsupported YAML ({current.GetType().Name})", _source, current.Start.Line, FieldOf(CurrentPath()));
            }
        }
        return _root ?? new JsonObject();
    }

    private void Open(JsonNode container, NodeEvent start)
    {
        var line = start.Start.Line;
        if (_open.Count == 0 && container is not JsonObject)
            throw new InputException("the top level must be a mapping of keys to values", _source, line);
        if (_open.TryPeek(out var parent) && parent.Container is JsonObject && parent.PendingKey is null)
            throw new InputException("keys must be plain strings", _source, line, FieldOf(parent.Path));
        if (_open.Count + 1 > ConfigDocument.MaxDepth)
            throw new InputException($"values are nested more than {ConfigDocument.MaxDepth} levels deep", _source, line, FieldOf(CurrentPath()));
        CountNodes(1, line);
        _open.Push(new OpenCollection(container, CurrentPath(), start.Anchor.IsEmpty ? null : start.Anchor.Value, _nodes - 1));
    }

    private void Close()
    {
        var done = _open.Pop();
        var nodes = _nodes - done.NodesBefore;
        if (done.Anchor is not null) _anchors[done.Anchor] = new Anchored(done.Container, null, nodes, done.Height);
        Attach(done.Container, null, done.Height, line: null);
    }

    private void ExpandAlias(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        var line = alias.Start.Line;
        if (!_anchors.TryGetValue(name, out var anchored))
            throw new InputException($"alias *{name} refers to no anchor &{name} defined before it", _source, line, FieldOf(CurrentPath()));
        if (_open.Count + anchored.Height > ConfigDocument.MaxDepth)
            throw new InputException($"alias *{name} nests values more than {ConfigDocument.MaxDepth} levels deep", _source, line, FieldOf(CurrentPath()));
        // Checked before copying: the copy is what an alias bomb multiplies.
        if ((long)_nodes + anchored.Nodes > ConfigDocument.MaxNodes)
            throw new InputException(
                $"alias *{name} would expand to {anchored.Nodes:N0} more values, past the limit of {ConfigDocument.MaxNodes:N0} for a config (nested aliases multiply)",
                _source, line, FieldOf(CurrentPath()));
        _nodes += anchored.Nodes;
        Attach(anchored.Value?.DeepClone(), anchored.ScalarText, anchored.Height, line);
    }

    // Puts a finished value where it belongs: the root, a sequence item, a mapping key, or the value of the pending key.
    private void Attach(JsonNode? value, string? scalarText, int height, long? line)
    {
        if (!_open.TryPeek(out var parent))
        {
            if (value is JsonObject root) _root = root;
            // An empty document is an empty config, as before.
            else if (scalarText is not "") throw new InputException("the top level must be a mapping of keys to values", _source, line);
            return;
        }
        if (parent.Container is JsonArray array) array.Add(value);
        else if (parent.PendingKey is null)
        {
            if (scalarText is null) throw new InputException("keys must be plain strings", _source, line, FieldOf(parent.Path));
            if (((JsonObject)parent.Container).ContainsKey(scalarText))
                throw new InputException("key appears twice", _source, line, Join(parent.Path, scalarText));
            parent.PendingKey = scalarText;
            if (_lines is not null && line is { } keyLine) _lines[Join(parent.Path, scalarText)] = keyLine;
            return;
        }
        else
        {
            ((JsonObject)parent.Container)[parent.PendingKey] = value;
            parent.PendingKey = null;
        }
        parent.Height = Math.Max(parent.Height, height + 1);
    }

    private void CountNodes(int count, long line)
    {
        _nodes += count;
        if (_nodes > ConfigDocument.MaxNodes)
            throw new InputException($"more than {ConfigDocument.MaxNodes:N0} values; that is not a config", _source, line, FieldOf(CurrentPath()));
    }

    // The dotted key path of the value being read (sequence items share their sequence's path).
    private string CurrentPath()
    {
        if (!_open.TryPeek(out var parent)) return "";
        return parent.Container is JsonObject && parent.PendingKey is { } key ? Join(parent.Path, key) : parent.Path;
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string? FieldOf(string path) => path.Length == 0 ? null : path;
}
