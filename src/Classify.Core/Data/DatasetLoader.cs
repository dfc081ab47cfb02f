using System.Globalization;
using System.Runtime.CompilerServices;
using Classify.Core.Data.Reading;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Core.Data;

/// <summary>
/// Loads a CSV, TSV or JSON Lines file into a <see cref="Dataset"/>: finds the configured columns, parses labels
/// (names, integers, delimited lists, JSON arrays or one 0/1 column per label), drops empty texts and exact
/// duplicates, optionally attaches conversation context, and records what it did in <see cref="DatasetStats"/>.
/// Every problem in the file is an <see cref="InputException"/> naming the file, line and column.
/// </summary>
/// <example>
/// <code>
/// var data = DatasetLoader.Load("goemotions/train.tsv", new DatasetOptions
/// {
///     HasHeader = false, ColumnNames = ["text", "labels", "id"], TextColumn = "text", LabelColumn = "labels",
///     IdColumn = "id", Multilabel = true, LabelNamesFile = "emotions.txt",
/// });
/// Console.WriteLine($"{data.Count} examples, {data.Schema}");
/// </code>
/// </example>
public static class DatasetLoader
{
    /// <summary>Loads a labelled dataset.</summary>
    /// <exception cref="InputException">The file or the options are unusable; the message says where and why.</exception>
    public static Dataset Load(string path, DatasetOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = new Builder(path, options);
        using var reader = RecordReader.Open(path, options.ToReaderOptions());
        builder.Bind(reader.Columns, headerLine: 1);
        foreach (var record in reader.ReadAll(cancellationToken)) builder.Add(record);
        return builder.Build(reader);
    }

    /// <summary>Asynchronous <see cref="Load"/>.</summary>
    public static async Task<Dataset> LoadAsync(string path, DatasetOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = new Builder(path, options);
        using var reader = await RecordReader.OpenAsync(path, options.ToReaderOptions(), cancellationToken).ConfigureAwait(false);
        builder.Bind(reader.Columns, headerLine: 1);
        await foreach (var record in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) builder.Add(record);
        return builder.Build(reader);
    }

    /// <summary>
    /// Streams the rows of a file to predict on, in constant memory: id (from <see cref="DatasetOptions.IdColumn"/>
    /// or the row number), text, group, split and, when <see cref="DatasetOptions.ContextTurns"/> &gt; 0, context.
    /// Labels are not read (<see cref="Example.Labels"/> is empty). Every row is returned, including empty texts,
    /// so that each input row gets an output row; ids are not checked for uniqueness. For context, rows must be
    /// ordered within each group.
    /// </summary>
    public static IEnumerable<Example> ReadUnlabelled(string path, DatasetOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var stream = new UnlabelledStream(path, options);
        using var reader = RecordReader.Open(path, options.ToReaderOptions());
        foreach (var record in reader.ReadAll(cancellationToken)) yield return stream.ToExample(record);
    }

    /// <summary>Asynchronous <see cref="ReadUnlabelled"/>.</summary>
    public static async IAsyncEnumerable<Example> ReadUnlabelledAsync(string path, DatasetOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var stream = new UnlabelledStream(path, options);
        using var reader = await RecordReader.OpenAsync(path, options.ToReaderOptions(), cancellationToken).ConfigureAwait(false);
        await foreach (var record in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return stream.ToExample(record);
    }

    /// <summary>Maps a split cell to <c>train</c>, <c>val</c> or <c>test</c> (accepting <c>dev</c>, <c>valid</c>, <c>validation</c>, <c>training</c>).</summary>
    /// <exception cref="InputException">Any other value.</exception>
    public static string NormalizeSplit(string? value, string file, long line, string column) =>
        value?.Trim().ToLowerInvariant() switch
        {
            "train" or "training" => "train",
            "val" or "valid" or "validation" or "dev" => "val",
            "test" => "test",
            _ => throw new InputException($"unknown split '{value}'; expected train, val (or dev/validation) or test", file, line, column),
        };

    /// <summary>Finds the configured columns in each record's column set (cached per set) and reads them.</summary>
    private class ColumnBinding(string path, DatasetOptions options, bool withLabels)
    {
        protected readonly string Path = path;
        protected readonly DatasetOptions Options = options;
        private RecordColumns? _bound;
        protected int Text, Label, Id, Group, Split, Order, Speaker;
        protected int[] LabelIndices = [];
        private int[] _idIndices = [];
        // Columns read by data.filter and data.derive_label, by name.
        protected readonly Dictionary<string, int> RuleColumns = new(StringComparer.Ordinal);

        public void Bind(RecordColumns columns, long headerLine)
        {
            if (ReferenceEquals(columns, _bound)) return;
            Text = Require(columns, Options.TextColumn, "text_col", headerLine);
            if (withLabels)
            {
                if (Options.LabelColumns is { } cols)
                    LabelIndices = cols.Select(c => Require(columns, c, "label_cols", headerLine)).ToArray();
                else if (Options.DeriveLabel is null) Label = Require(columns, Options.LabelColumn, "label_col", headerLine);
            }
            Id = Optional(columns, Options.IdColumn, "id_col", headerLine);
            Group = Optional(columns, Options.GroupColumn, "group_col", headerLine);
            Split = Optional(columns, Options.SplitColumn, "split_col", headerLine);
            Order = Optional(columns, Options.OrderColumn, "order_col", headerLine);
            Speaker = Optional(columns, Options.SpeakerColumn, "speaker_col", headerLine);
            _idIndices = Options.IdColumns?.Select(c => Require(columns, c, "id_cols", headerLine)).ToArray() ?? [];
            RuleColumns.Clear();
            if (withLabels)
            {
                foreach (var c in Options.Filter?.Columns ?? []) RuleColumns[c] = Require(columns, c, "filter", headerLine);
                foreach (var c in Options.DeriveLabel?.Columns ?? []) RuleColumns[c] = Require(columns, c, "derive_label", headerLine);
            }
            _bound = columns;
        }

        protected static string? Get(DataRecord record, int index) => index < 0 ? null : record[index];

        /// <summary>The text the model sees: <c>speaker: text</c> with <see cref="DatasetOptions.CurrentSpeaker"/>, as context turns are written.</summary>
        protected string Utterance(string text, string? speaker) =>
            Options.CurrentSpeaker && !string.IsNullOrEmpty(speaker) ? $"{speaker}: {text}" : text;

        protected string RowId(DataRecord record)
        {
            if (_idIndices.Length > 0)
            {
                var parts = new string[_idIndices.Length];
                for (int i = 0; i < parts.Length; i++)
                {
                    parts[i] = record[_idIndices[i]]?.Trim() ?? "";
                    if (parts[i].Length == 0) throw new InputException($"the id part in column '{Options.IdColumns![i]}' is empty", Path, record.Line, "id_cols");
                }
                return string.Join('/', parts);
            }
            if (Id < 0) return record.RowNumber.ToString(CultureInfo.InvariantCulture);
            var id = record[Id]?.Trim();
            if (string.IsNullOrEmpty(id)) throw new InputException("the id is empty", Path, record.Line, Options.IdColumn);
            return id;
        }

        protected string? RowSplit(DataRecord record) =>
            Split < 0 ? null : NormalizeSplit(record[Split], Path, record.Line, Options.SplitColumn!);

        private int Optional(RecordColumns columns, string? name, string key, long line) =>
            name == null ? -1 : Require(columns, name, key, line);

        private int Require(RecordColumns columns, string name, string key, long line)
        {
            int i = columns.IndexOf(name);
            if (i >= 0) return i;
            var hint = columns.IsPositional
                ? " (with has_header: false, address a column by its 0-based index)"
                : Options.Format == null && DataFormats.FromExtension(Path) == DataFormat.Csv && columns.Count == 1 && columns[0].Contains('\t')
                    ? " (the header contains tabs: is this a TSV file? set format: tsv)"
                    : "";
            throw new InputException($"column '{name}' ({key}) not found; available columns: {columns.Describe()}{hint}", Path, line, key);
        }
    }

    private sealed class UnlabelledStream(string path, DatasetOptions options) : ColumnBinding(path, options, withLabels: false)
    {
        private readonly ContextBuilder? _context = options.ContextTurns > 0 ? new ContextBuilder(options.ContextTurns, options.ContextSpeakerTags) : null;

        public Example ToExample(DataRecord record)
        {
            Bind(record.Columns, record.Line);
            var text = record[Text] ?? "";
            var group = Get(record, Group);
            IReadOnlyList<string>? context = null;
            if (_context != null)
            {
                var turn = new ConversationTurn(group ?? "", Get(record, Order) ?? record.RowNumber.ToString(CultureInfo.InvariantCulture), text, Get(record, Speaker));
                try { context = _context.Next(turn); }
                catch (InvalidOperationException e) { throw new InputException(e.Message, Path, record.Line, Options.OrderColumn, e); }
            }
            return new Example(RowId(record), Utterance(text, Get(record, Speaker)), [], group, RowSplit(record), context);
        }
    }

    private readonly record struct Row(string Id, string Text, string[] Labels, string? Group, string? Split, string Order, string? Speaker);

    private sealed class Builder : ColumnBinding
    {
        private const int MaxConflictIds = 5;
        private readonly LabelParser? _labels;
        private readonly IReadOnlyList<string>? _fixedLabels;
        private readonly List<Row> _rows = new();
        private readonly Dictionary<string, long> _idLines = new(StringComparer.Ordinal);
        private readonly HashSet<string>? _mappedLabels;   // labels: after label_map / derive_label
        private long _emptyDropped, _filteredOut, _labelDropped;

        public Builder(string path, DatasetOptions options) : base(path, options, withLabels: true)
        {
            string source = "labels";
            if (options.LabelNamesFile is { } namesFile)
            {
                var resolved = ResolveBeside(path, namesFile);
                _fixedLabels = LabelParser.ReadNamesFile(resolved);
                source = System.IO.Path.GetFileName(resolved);
            }
            else _fixedLabels = options.Labels;
            // With a map or a derived label, labels: names the labels after mapping; the file's own are read as they come
            // (a labels_file still turns integers into names before the map).
            bool mapped = options.LabelMap != null || options.DeriveLabel != null;
            if (mapped && options.Labels is { } final) _mappedLabels = new HashSet<string>(final, StringComparer.Ordinal);
            var parserLabels = mapped && options.LabelNamesFile is null ? null : _fixedLabels;
            if (mapped && options.LabelNamesFile is not null) _fixedLabels = null;
            if (options.LabelColumns == null && options.DeriveLabel == null)
                _labels = new LabelParser(path, options.LabelColumn, options.IsMultilabel, options.LabelDelimiter, parserLabels, source);
        }

        public void Add(DataRecord record)
        {
            Bind(record.Columns, record.Line);
            string? Cell(string column) => record[RuleColumns[column]];
            if (Options.Filter is { } filter && !filter.IsMetBy(Cell)) { _filteredOut++; return; }
            var id = RowId(record);
            if (!_idLines.TryAdd(id, record.Line))
                throw new InputException($"duplicate id '{id}' (first on line {_idLines[id]})", Path, record.Line, Options.IdColumn);

            string[] labels;
            if (Options.DeriveLabel is { } derive)
                labels = [derive.LabelOf(Cell) ?? throw new InputException("no case of derive_label holds for this row, and there is no 'otherwise'", Path, record.Line, "derive_label")];
            else if (_labels != null) labels = _labels.Parse(record[Label], record.Line);
            else
            {
                var on = new List<string>();
                var cols = Options.LabelColumns!;
                for (int i = 0; i < LabelIndices.Length; i++)
                    if (LabelParser.ParseIndicator(record[LabelIndices[i]], Path, record.Line, cols[i])) on.Add(cols[i]);
                labels = on.ToArray();
            }
            if (Options.LabelMap is { } map)
            {
                var mapped = new List<string>(labels.Length);
                foreach (var label in labels)
                    if (!map.TryGetValue(label, out var to)) mapped.Add(label);
                    else if (to is not null && !mapped.Contains(to)) mapped.Add(to);
                if (mapped.Count == 0 && labels.Length > 0 && !Options.IsMultilabel) { _labelDropped++; return; }
                labels = mapped.ToArray();
            }
            if (_mappedLabels != null)
                foreach (var label in labels)
                    if (!_mappedLabels.Contains(label))
                        throw new InputException($"label '{label}'{(Options.LabelMap != null ? " (after label_map)" : "")} is not one of labels: {string.Join(", ", Options.Labels!)}", Path, record.Line, "labels");
            var split = RowSplit(record);
            string? order = null;
            if (Order >= 0)
            {
                order = record[Order]?.Trim();
                if (string.IsNullOrEmpty(order)) throw new InputException("the order value is empty", Path, record.Line, Options.OrderColumn);
            }

            var text = record[Text] ?? "";
            if (string.IsNullOrWhiteSpace(text)) { _emptyDropped++; return; }
            _rows.Add(new Row(id, text, labels, Get(record, Group), split, order ?? record.RowNumber.ToString(CultureInfo.InvariantCulture), Get(record, Speaker)));
        }

        public Dataset Build(RecordReader reader)
        {
            if (_rows.Count == 0 && (_filteredOut > 0 || _labelDropped > 0))
                throw new InputException($"no usable rows: of {reader.RowsRead} rows, {_filteredOut} do not meet data.filter, {_labelDropped} lost their label " +
                                         $"to label_map and {_emptyDropped} have an empty text", Path, field: _filteredOut > 0 ? "filter" : "label_map");
            if (_rows.Count == 0)
                throw new InputException($"no usable rows: all {reader.RowsRead} rows have an empty text in column '{Options.TextColumn}'", Path, field: "text_col");

            IReadOnlyList<string>[]? contexts = null;
            if (Options.ContextTurns > 0)
            {
                var builder = new ContextBuilder(Options.ContextTurns, Options.ContextSpeakerTags);
                contexts = builder.Build(_rows.Select(r => new ConversationTurn(r.Group ?? "", r.Order, r.Text, r.Speaker)).ToArray());
            }

            var keep = new bool[_rows.Count];
            long duplicates = 0, conflicts = 0;
            var conflictIds = new List<string>();
            // For each distinct text (in its split, group and context): the label sets seen with it.
            var seen = new Dictionary<DuplicateKey, object>(DuplicateKeyComparer.Instance);
            for (int i = 0; i < _rows.Count; i++)
            {
                var row = _rows[i];
                if (!Options.DropDuplicates) { keep[i] = true; continue; }
                var key = new DuplicateKey(Utterance(row.Text, row.Speaker), row.Split, row.Group,
                    contexts?[i] is { Count: > 0 } c ? string.Join('\u001E', c) : null);
                var labels = LabelKey(row.Labels);
                if (!seen.TryGetValue(key, out var labelSets))
                {
                    seen[key] = labels;
                    keep[i] = true;
                    continue;
                }
                if (labelSets is string single)
                {
                    if (single == labels) { duplicates++; continue; }
                    seen[key] = labelSets = new List<string> { single };
                    conflicts++;
                }
                var list = (List<string>)labelSets;
                if (list.Contains(labels)) { duplicates++; continue; }
                list.Add(labels);
                if (conflictIds.Count < MaxConflictIds) conflictIds.Add(row.Id);
                keep[i] = true;
            }

            var schema = BuildSchema(Enumerable.Range(0, _rows.Count).Where(i => keep[i]).SelectMany(i => _rows[i].Labels));
            var examples = new List<Example>(_rows.Count);
            for (int i = 0; i < _rows.Count; i++)
            {
                if (!keep[i]) continue;
                var row = _rows[i];
                var indices = new int[row.Labels.Length];
                for (int j = 0; j < indices.Length; j++) indices[j] = schema.IndexOf(row.Labels[j]);
                Array.Sort(indices);
                examples.Add(new Example(row.Id, Utterance(row.Text, row.Speaker), indices, row.Group, row.Split, contexts?[i]));
            }

            var stats = new DatasetStats
            {
                Path = Path,
                Sha256 = reader.Sha256!,
                RowsRead = reader.RowsRead,
                RowsUsed = examples.Count,
                EmptyDropped = _emptyDropped,
                FilteredOut = _filteredOut,
                LabelDropped = _labelDropped,
                DuplicatesDropped = duplicates,
                ConflictingDuplicates = conflicts,
                ConflictingDuplicateIds = conflictIds,
                InvalidUtf8Replaced = reader.InvalidUtf8Replaced,
                Warnings = _warnings.Count == 0 ? [] : _warnings.ToArray(),
            };
            return new Dataset(examples, schema, stats);
        }

        private readonly List<string> _warnings = new();

        private LabelSchema BuildSchema(IEnumerable<string> observed)
        {
            IReadOnlyList<string> names;
            if (Options.LabelColumns is { } cols) names = cols;
            else if (_fixedLabels != null) names = _fixedLabels;
            else
            {
                var distinct = observed.Distinct(StringComparer.Ordinal).ToList();
                // Integer labels sort by value (2 before 10), anything else ordinally.
                var integers = distinct.Where(s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)).ToList();
                bool allIntegers = integers.Count == distinct.Count;
                if (integers.Count > 0 && !allIntegers)
                    _warnings.Add($"column '{Options.LabelColumn}' mixes integer labels ({string.Join(", ", integers.Take(5))}) with names " +
                                  $"({string.Join(", ", distinct.Except(integers).Take(5))}): they become {distinct.Count} separate classes; if the numbers " +
                                  "are codes, give data.labels_file or recode the column");
                names = allIntegers
                    ? distinct.OrderBy(s => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToList()
                    : distinct.Order(StringComparer.Ordinal).ToList();
                if (!Options.IsMultilabel && names.Count < 2)
                    throw new InputException(
                        $"column '{Options.LabelColumn}' has {names.Count} distinct label{(names.Count == 1 ? $" ('{names[0]}')" : "s")}; a classifier needs at least two",
                        Path, field: "label_col");
                if (names.Count == 0)
                    throw new InputException("no row carries a label", Path, field: "label_col");
            }
            var kind = Options.IsMultilabel ? TaskKind.Multilabel : names.Count == 2 ? TaskKind.Binary : TaskKind.Multiclass;
            try { return new LabelSchema(kind, names); }
            catch (ArgumentException e) { throw new InputException(e.Message, Path, field: "labels", inner: e); }
        }

        /// <summary>The identity of a text for duplicate detection (see <see cref="DuplicateKeyComparer"/>).</summary>
        private readonly record struct DuplicateKey(string Text, string? Split, string? Group, string? Context);

        /// <summary>
        /// Whitespace differences are invisible to every tokenizer Classify ships, so texts are compared as if
        /// trimmed with whitespace runs collapsed (without building those strings: a 30 MB corpus would double).
        /// Rows in different splits, conversations or contexts are never duplicates: a predefined test split must
        /// stay as published, and "Mm-hmm." is a new turn in a new context.
        /// </summary>
        private sealed class DuplicateKeyComparer : IEqualityComparer<DuplicateKey>
        {
            public static readonly DuplicateKeyComparer Instance = new();

            public bool Equals(DuplicateKey x, DuplicateKey y) =>
                x.Split == y.Split && x.Group == y.Group && x.Context == y.Context && SameWords(x.Text, y.Text);

            public int GetHashCode(DuplicateKey key)
            {
                var hash = new HashCode();
                hash.Add(key.Split);
                hash.Add(key.Group);
                hash.Add(key.Context);
                var text = key.Text.AsSpan();
                int i = 0;
                while (i < text.Length)
                {
                    while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
                    int start = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
                    if (i > start)
                    {
                        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text[start..i]));
                        hash.Add(' ');
                    }
                }
                return hash.ToHashCode();
            }

            private static bool SameWords(string a, string b)
            {
                int i = 0, j = 0;
                while (true)
                {
                    bool gapA = SkipWhitespace(a, ref i), gapB = SkipWhitespace(b, ref j);
                    if (i == a.Length || j == b.Length) return i == a.Length && j == b.Length;
                    if (gapA != gapB && i > 0 && j > 0) return false; // a word break in one text only
                    if (a[i++] != b[j++]) return false;
                }
            }

            private static bool SkipWhitespace(string s, ref int i)
            {
                int start = i;
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                return i > start;
            }
        }

        private static string LabelKey(string[] labels) => labels.Length switch
        {
            0 => "",
            1 => labels[0],
            _ => string.Join('\u001F', labels.Order(StringComparer.Ordinal)),
        };

        private static string ResolveBeside(string dataPath, string file)
        {
            if (System.IO.Path.IsPathRooted(file)) return file;
            var beside = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(dataPath)) ?? "", file);
            return File.Exists(beside) ? beside : file;
        }
    }
}
