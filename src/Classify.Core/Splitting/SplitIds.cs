using System.Text;
using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Splitting;

/// <summary>
/// The example ids of each split, persisted as <c>splits/train_ids.csv</c>, <c>val_ids.csv</c> and <c>test_ids.csv</c>
/// (CSV with the header <c>id</c>, one id per line, quoted when needed). A run that finds these files reuses them,
/// so the same examples land in the same split every time.
/// </summary>
public sealed class SplitIds
{
    /// <summary>File name of the training ids.</summary>
    public const string TrainFileName = "train_ids.csv";
    /// <summary>File name of the validation ids.</summary>
    public const string ValFileName = "val_ids.csv";
    /// <summary>File name of the test ids.</summary>
    public const string TestFileName = "test_ids.csv";

    private const string Header = "id";

    // Where each list came from, for error messages: the file path and the 1-based line of each id.
    private readonly (string Path, long[] Lines)?[] _sources = new (string, long[])?[3];

    /// <summary>Creates the id lists.</summary>
    public SplitIds(IReadOnlyList<string> train, IReadOnlyList<string> val, IReadOnlyList<string> test)
    {
        Train = train ?? throw new ArgumentNullException(nameof(train));
        Val = val ?? throw new ArgumentNullException(nameof(val));
        Test = test ?? throw new ArgumentNullException(nameof(test));
    }

    /// <summary>Training ids.</summary>
    public IReadOnlyList<string> Train { get; }
    /// <summary>Validation ids.</summary>
    public IReadOnlyList<string> Val { get; }
    /// <summary>Test ids.</summary>
    public IReadOnlyList<string> Test { get; }

    private IReadOnlyList<string>[] Lists => [Train, Val, Test];

    private static readonly string[] FileNames = [TrainFileName, ValFileName, TestFileName];

    /// <summary>Writes the three id files into <paramref name="splitsDirectory"/> (each atomically).</summary>
    public void Save(string splitsDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(splitsDirectory);
        var lists = Lists;
        for (int p = 0; p < 3; p++)
        {
            var ids = lists[p];
            AtomicFile.WriteText(Path.Combine(splitsDirectory, FileNames[p]), w =>
            {
                var csv = new CsvWriter(w);
                csv.WriteRow([Header]);
                foreach (var id in ids) csv.WriteRow([id]);
            });
        }
    }

    /// <summary>
    /// Reads the id files of <paramref name="splitsDirectory"/>; null when none of the three exists.
    /// </summary>
    /// <exception cref="InputException">Only some of the files exist, or a file is malformed (wrong header, more than
    /// one column, an empty or repeated id), naming the file and line.</exception>
    public static SplitIds? TryLoad(string splitsDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(splitsDirectory);
        var paths = FileNames.Select(f => Path.Combine(splitsDirectory, f)).ToArray();
        var exists = paths.Select(File.Exists).ToArray();
        if (!exists.Any(x => x)) return null;
        if (!exists.All(x => x))
        {
            var missing = paths.Where((_, p) => !exists[p]);
            throw new InputException($"Saved splits are incomplete: {string.Join(", ", missing.Select(Path.GetFileName))} missing. " +
                "Delete the splits folder to split again, or restore the file.", splitsDirectory);
        }
        var loaded = paths.Select(ReadIdFile).ToArray();
        var ids = new SplitIds(loaded[0].Ids, loaded[1].Ids, loaded[2].Ids);
        for (int p = 0; p < 3; p++) ids._sources[p] = (paths[p], loaded[p].Lines);
        return ids;
    }

    /// <summary>
    /// Applies saved ids to a dataset. Examples keep their data order inside each split; examples that no file lists
    /// end up in <see cref="DatasetSplit.Unassigned"/> so the caller can report them.
    /// </summary>
    /// <exception cref="InputException">An id appears in two files, or a listed id is not in the data.</exception>
    public DatasetSplit Apply(IReadOnlyList<Example> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var byId = new Dictionary<string, Example>(examples.Count, StringComparer.Ordinal);
        foreach (var e in examples)
            if (!byId.TryAdd(e.Id, e))
                throw new InputException($"Id '{e.Id}' appears more than once in the data; saved splits need unique ids.", field: "id");

        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        var lists = Lists;
        for (int p = 0; p < 3; p++)
            for (int k = 0; k < lists[p].Count; k++)
            {
                var id = lists[p][k];
                if (owner.TryGetValue(id, out int other))
                {
                    var where = other == p ? "twice in this file" : $"also in {Describe(other)}";
                    throw new InputException($"Id '{id}' is listed {where}; every example belongs to one split.", Describe(p), Line(p, k), "id");
                }
                owner[id] = p;
                if (!byId.ContainsKey(id))
                    throw new InputException($"Id '{id}' is not in the data. The data changed since the split was saved; " +
                        "delete the splits folder to split again.", Describe(p), Line(p, k), "id");
            }

        var parts = new[] { new List<Example>(), new List<Example>(), new List<Example>() };
        var unassigned = new List<Example>();
        foreach (var e in examples)
            (owner.TryGetValue(e.Id, out int p) ? parts[p] : unassigned).Add(e);
        return new DatasetSplit(parts[0], parts[1], parts[2], SplitStrategy.Saved, unassigned);
    }

    private string Describe(int part) => _sources[part]?.Path ?? FileNames[part];

    private long? Line(int part, int index) => _sources[part] is { } s ? s.Lines[index] : null;

    private static (string[] Ids, long[] Lines) ReadIdFile(string path)
    {
        var ids = new List<string>();
        var lines = new List<long>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool header = true;
        foreach (var (fields, line) in ReadRecords(path))
        {
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Count != 1)
                throw new InputException($"Expected one column (id), found {fields.Count}.", path, line);
            if (header)
            {
                if (!string.Equals(fields[0].Trim(), Header, StringComparison.OrdinalIgnoreCase))
                    throw new InputException($"Expected the header 'id', found '{fields[0]}'.", path, line, "id");
                header = false;
                continue;
            }
            if (!seen.Add(fields[0]))
                throw new InputException($"Id '{fields[0]}' is listed twice in this file.", path, line, "id");
            ids.Add(fields[0]);
            lines.Add(line);
        }
        if (header) throw new InputException("The file is empty; expected the header 'id'.", path, 1, "id");
        return (ids.ToArray(), lines.ToArray());
    }

    /// <summary>RFC 4180 records with the physical line each starts on; quoted fields may hold commas, quotes and newlines.</summary>
    private static IEnumerable<(List<string> Fields, long Line)> ReadRecords(string path)
    {
        var text = File.ReadAllText(path, AtomicFile.Utf8);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        long line = 1;
        int i = 0;
        while (i < text.Length)
        {
            long start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool quoted = false, wasQuoted = false;
            for (; i < text.Length; i++)
            {
                char c = text[i];
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                        else quoted = false;
                    }
                    else
                    {
                        if (c == '\n') line++;
                        field.Append(c);
                    }
                }
                else if (c == '"' && field.Length == 0 && !wasQuoted) { quoted = wasQuoted = true; }
                else if (c == ',') { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; }
                else if (c == '\r' || c == '\n')
                {
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                    i++;
                    line++;
                    break;
                }
                else field.Append(c);
            }
            if (quoted) throw new InputException("A quoted id is not closed.", path, start);
            fields.Add(field.ToString());
            yield return (fields, start);
        }
    }
}
