using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.IO;
using Classify.Linear.Sparse;

namespace Classify.Linear.FeatureExtraction;

/// <summary>
/// Converts texts to a TF-IDF matrix exactly as scikit-learn's <c>TfidfVectorizer</c> (1.2) does: the same terms,
/// the same column order (terms sorted by code point), the same <c>idf_</c> and the same values to the last bits.
/// </summary>
/// <remarks>
/// The steps: preprocess (Python <c>str.lower</c>, then <c>strip_accents</c>); tokenise with <c>token_pattern</c>
/// (Python <c>\w</c> semantics) or take characters; remove stop words; form n-grams (joined with one space);
/// learn the vocabulary from document frequencies (<c>max_df</c>/<c>min_df</c>, then <c>max_features</c> by corpus
/// frequency with NumPy's tie order); <c>tf</c> = count, 1 (<c>binary</c>) or <c>1 + ln(count)</c> (<c>sublinear_tf</c>);
/// <c>idf = ln((1 + n) / (1 + df)) + 1</c> (<c>smooth_idf</c>; without: <c>ln(n / df) + 1</c>); rows normalised.
/// Transform runs documents in parallel; a fitted vectorizer is immutable and thread-safe.
/// </remarks>
public sealed class TfidfVectorizer
{
    /// <summary>The file <see cref="Save"/> writes inside a model folder.</summary>
    public const string FileName = "tfidf_vectorizer.json";
    private const string FormatName = "classify.tfidf_vectorizer";
    private const int FormatVersion = 1;

    private readonly TextAnalyzer _analyzer;
    private Dictionary<string, int>? _vocabulary;
    private string[]? _featureNames;
    private double[]? _idf;
    private IReadOnlySet<string> _stopWords = new HashSet<string>();

    /// <summary>Creates an unfitted vectorizer; the options are validated here.</summary>
    public TfidfVectorizer(TfidfVectorizerOptions? options = null)
    {
        Options = options ?? new TfidfVectorizerOptions();
        Options.Validate();
        _analyzer = new TextAnalyzer(Options);
    }

    /// <summary>The options this vectorizer was built with.</summary>
    public TfidfVectorizerOptions Options { get; }

    /// <summary>True once <see cref="Fit"/> (or <see cref="Load"/>) has run.</summary>
    public bool IsFitted => _vocabulary is not null;

    /// <summary>Term → column (scikit-learn's <c>vocabulary_</c>).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary ?? throw NotFitted();

    /// <summary>The term of each column (<c>get_feature_names_out()</c>).</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames ?? throw NotFitted();

    /// <summary>The inverse document frequency of each column (<c>idf_</c>); all ones when <c>use_idf</c> is off.</summary>
    public IReadOnlyList<double> Idf => _idf ?? throw NotFitted();

    /// <summary>
    /// Terms seen in training but dropped by <c>min_df</c>, <c>max_df</c> or <c>max_features</c> (<c>stop_words_</c>).
    /// Only for inspection: it is not saved, so a loaded vectorizer has an empty set.
    /// </summary>
    public IReadOnlySet<string> StopWords => IsFitted ? _stopWords : throw NotFitted();

    /// <summary>Number of columns.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>Learns the vocabulary and idf from <paramref name="documents"/>.</summary>
    public TfidfVectorizer Fit(IReadOnlyList<string> documents)
    {
        FitCounts(documents);
        return this;
    }

    /// <summary>Learns the vocabulary and idf, and returns the TF-IDF matrix of <paramref name="documents"/> (one pass over the text).</summary>
    public CsrMatrix FitTransform(IReadOnlyList<string> documents)
    {
        var counts = FitCounts(documents);
        return Weight(counts);
    }

    /// <summary>The TF-IDF matrix of <paramref name="documents"/> under the learnt vocabulary; unknown terms are ignored.</summary>
    public CsrMatrix Transform(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (_vocabulary is null) throw NotFitted();
        return Weight(CountKnownTerms(documents, _vocabulary));
    }

    /// <summary>Raw counts: rows with sorted column indices.</summary>
    private readonly record struct Counts(int Rows, int[] RowPointers, int[] Columns, int[] Values);

    private Counts FitCounts(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        int n = documents.Count;
        Counts counts;
        int[] df;
        if (Options.Vocabulary is { } fixedTerms)
        {
            var vocabulary = new Dictionary<string, int>(fixedTerms.Count, StringComparer.Ordinal);
            for (int i = 0; i < fixedTerms.Count; i++) vocabulary[fixedTerms[i]] = i;
            counts = CountKnownTerms(documents, vocabulary);
            df = DocumentFrequencies(counts, fixedTerms.Count);
            _vocabulary = vocabulary;
            _featureNames = [.. fixedTerms];
            _stopWords = new HashSet<string>();
        }
        else
        {
            var (raw, terms) = CountAllTerms(documents);
            if (terms.Count == 0)
                throw new InputException("Empty vocabulary: the documents contain no terms (perhaps only stop words or one-letter words).", field: "documents");
            var rawDf = DocumentFrequencies(raw, terms.Count);
            var columnOf = SelectTerms(raw, terms, rawDf, n, out var featureNames);
            counts = Remap(raw, columnOf, featureNames.Length);
            df = new int[featureNames.Length];
            for (int t = 0; t < columnOf.Length; t++) if (columnOf[t] >= 0) df[columnOf[t]] = rawDf[t];
            var removed = new HashSet<string>(terms.Count - featureNames.Length, StringComparer.Ordinal);
            for (int t = 0; t < columnOf.Length; t++) if (columnOf[t] < 0) removed.Add(terms[t]);
            _featureNames = featureNames;
            _vocabulary = new Dictionary<string, int>(featureNames.Length, StringComparer.Ordinal);
            for (int c = 0; c < featureNames.Length; c++) _vocabulary[featureNames[c]] = c;
            _stopWords = removed;
        }
        _idf = ComputeIdf(df, n);
        return counts;
    }

    /// <summary>
    /// scikit-learn's <c>_limit_features</c>: keep terms with <c>min_df ≤ df ≤ max_df</c>, then the <c>max_features</c>
    /// most frequent ones. Returns each raw term's column (or -1) and the kept terms in column order.
    /// </summary>
    private int[] SelectTerms(Counts raw, List<string> terms, int[] df, int n, out string[] featureNames)
    {
        double maxCount = Options.MaxDf.ToDocumentCount(n), minCount = Options.MinDf.ToDocumentCount(n);
        if (maxCount < minCount)
            throw new InputException($"max_df ({Options.MaxDf}) corresponds to fewer documents than min_df ({Options.MinDf}) for {n} documents.", field: "max_df");

        var candidates = new List<int>(terms.Count);
        for (int t = 0; t < terms.Count; t++) if (df[t] <= maxCount && df[t] >= minCount) candidates.Add(t);
        // Columns follow Python's str order.
        var sorted = candidates.ToArray();
        var keys = new string[sorted.Length];
        for (int i = 0; i < sorted.Length; i++) keys[i] = terms[sorted[i]];
        Array.Sort(keys, sorted, PythonText.CodePointComparer);

        if (Options.MaxFeatures is int limit && sorted.Length > limit)
        {
            var termFrequency = new long[terms.Count];
            if (Options.Binary) for (int t = 0; t < df.Length; t++) termFrequency[t] = df[t];
            else for (int p = 0; p < raw.Values.Length; p++) termFrequency[raw.Columns[p]] += raw.Values[p];
            var negated = new double[sorted.Length];
            for (int i = 0; i < sorted.Length; i++) negated[i] = -(double)termFrequency[sorted[i]];
            var order = NumpyArgsort.ArgSort(negated);
            var keep = new bool[sorted.Length];
            for (int i = 0; i < limit; i++) keep[order[i]] = true;
            int k = 0;
            for (int i = 0; i < sorted.Length; i++) if (keep[i]) sorted[k++] = sorted[i];
            Array.Resize(ref sorted, k);
        }
        if (sorted.Length == 0)
            throw new InputException("After pruning, no terms remain. Try a lower min_df or a higher max_df.", field: "min_df");

        var columnOf = new int[terms.Count];
        Array.Fill(columnOf, -1);
        featureNames = new string[sorted.Length];
        for (int c = 0; c < sorted.Length; c++)
        {
            columnOf[sorted[c]] = c;
            featureNames[c] = terms[sorted[c]];
        }
        return columnOf;
    }

    private double[] ComputeIdf(int[] df, int n)
    {
        var idf = new double[df.Length];
        if (!Options.UseIdf)
        {
            Array.Fill(idf, 1.0);
            return idf;
        }
        int smooth = Options.SmoothIdf ? 1 : 0;
        for (int c = 0; c < df.Length; c++) idf[c] = Math.Log((double)(n + smooth) / (df[c] + smooth)) + 1.0;
        return idf;
    }

    private static int[] DocumentFrequencies(Counts counts, int terms)
    {
        var df = new int[terms];
        foreach (int c in counts.Columns) df[c]++;
        return df;
    }

    /// <summary>Counts every term of the training documents; term ids in order of first appearance.</summary>
    private (Counts Counts, List<string> Terms) CountAllTerms(IReadOnlyList<string> documents)
    {
        var preprocessed = Preprocess(documents);
        var sink = new LearningSink(new Dictionary<string, int>(1 << 16, StringComparer.Ordinal));
        var scratch = new TextAnalyzer.Scratch();
        var rowPointers = new int[documents.Count + 1];
        var columns = new List<int>(documents.Count * 32);
        var values = new List<int>(documents.Count * 32);
        for (int d = 0; d < preprocessed.Length; d++)
        {
            sink.BeginDocument();
            _analyzer.ForEachTerm(preprocessed[d], scratch, ref sink);
            sink.EndDocument(columns, values);
            rowPointers[d + 1] = columns.Count;
        }
        return (new Counts(documents.Count, rowPointers, [.. columns], [.. values]), sink.Terms);
    }

    /// <summary>Batches smaller than this are transformed on the calling thread.</summary>
    internal const int ParallelFromDocuments = 64;

    /// <summary>Counts the known terms of each document, in parallel over documents (from <see cref="ParallelFromDocuments"/> on).</summary>
    private Counts CountKnownTerms(IReadOnlyList<string> documents, Dictionary<string, int> vocabulary)
    {
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var rows = new (int[] Columns, int[] Values)[documents.Count];
        // A small batch (a server's micro-batch) runs on the calling thread: fanning a few tweets out to the thread pool
        // costs more than counting them, and competes with the threads serving requests.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = documents.Count < ParallelFromDocuments ? 1 : -1 };
        Parallel.For(0, documents.Count, parallel,
            () => (Scratch: new TextAnalyzer.Scratch(), Columns: new List<int>(128)),
            (d, _, state) =>
            {
                var sink = new LookupSink(lookup, state.Columns);
                state.Columns.Clear();
                _analyzer.ForEachTerm(_analyzer.Preprocess(documents[d] ?? throw new ArgumentException($"Document {d} is null.", nameof(documents))), state.Scratch, ref sink);
                rows[d] = RunLengths(CollectionsMarshal.AsSpan(state.Columns));
                return state;
            },
            _ => { });
        var rowPointers = new int[documents.Count + 1];
        for (int d = 0; d < rows.Length; d++) rowPointers[d + 1] = rowPointers[d] + rows[d].Columns.Length;
        var columns = new int[rowPointers[^1]];
        var values = new int[rowPointers[^1]];
        for (int d = 0; d < rows.Length; d++)
        {
            rows[d].Columns.CopyTo(columns, rowPointers[d]);
            rows[d].Values.CopyTo(values, rowPointers[d]);
        }
        return new Counts(documents.Count, rowPointers, columns, values);
    }

    /// <summary>Sorts the column occurrences and turns them into (column, count) pairs.</summary>
    private static (int[] Columns, int[] Values) RunLengths(Span<int> occurrences)
    {
        if (occurrences.IsEmpty) return ([], []);
        occurrences.Sort();
        int distinct = 1;
        for (int i = 1; i < occurrences.Length; i++) if (occurrences[i] != occurrences[i - 1]) distinct++;
        var columns = new int[distinct];
        var values = new int[distinct];
        int k = 0;
        columns[0] = occurrences[0];
        values[0] = 1;
        for (int i = 1; i < occurrences.Length; i++)
        {
            if (occurrences[i] == columns[k]) values[k]++;
            else { columns[++k] = occurrences[i]; values[k] = 1; }
        }
        return (columns, values);
    }

    private string[] Preprocess(IReadOnlyList<string> documents)
    {
        var result = new string[documents.Count];
        void One(int d) => result[d] = _analyzer.Preprocess(documents[d] ?? throw new ArgumentException($"Document {d} is null.", nameof(documents)));
        if (documents.Count < 4096) for (int d = 0; d < result.Length; d++) One(d);
        else Parallel.For(0, result.Length, One);
        return result;
    }

    /// <summary>Maps raw term ids to columns, dropping removed terms and re-sorting each row.</summary>
    private static Counts Remap(Counts raw, int[] columnOf, int featureCount)
    {
        var rowPointers = new int[raw.Rows + 1];
        var columns = new List<int>(raw.Columns.Length);
        var values = new List<int>(raw.Columns.Length);
        var pairs = new List<(int Column, int Value)>(64);
        for (int r = 0; r < raw.Rows; r++)
        {
            pairs.Clear();
            for (int p = raw.RowPointers[r]; p < raw.RowPointers[r + 1]; p++)
            {
                int c = columnOf[raw.Columns[p]];
                if (c >= 0) pairs.Add((c, raw.Values[p]));
            }
            CollectionsMarshal.AsSpan(pairs).Sort((a, b) => a.Column.CompareTo(b.Column));
            foreach (var (c, v) in pairs) { columns.Add(c); values.Add(v); }
            rowPointers[r + 1] = columns.Count;
        }
        return new Counts(raw.Rows, rowPointers, [.. columns], [.. values]);
    }

    /// <summary>tf → (sublinear) → × idf → row norm, as <c>TfidfTransformer.transform</c>.</summary>
    private CsrMatrix Weight(Counts counts)
    {
        var idf = _idf!;
        var values = new double[counts.Values.Length];
        bool binary = Options.Binary, sublinear = Options.SublinearTf, useIdf = Options.UseIdf;
        var norm = Options.Norm;
        var rowPointers = counts.RowPointers;
        var columns = counts.Columns;
        Parallel.For(0, (counts.Rows + 255) / 256, block =>
        {
            int end = Math.Min(counts.Rows, (block + 1) * 256);
            for (int r = block * 256; r < end; r++)
            {
                int start = rowPointers[r], stop = rowPointers[r + 1];
                for (int p = start; p < stop; p++)
                {
                    double tf = binary ? 1.0 : counts.Values[p];
                    if (sublinear) tf = Math.Log(tf) + 1.0;
                    values[p] = useIdf ? tf * idf[columns[p]] : tf;
                }
                Normalize(values.AsSpan(start, stop - start), norm);
            }
        });
        return new CsrMatrix(counts.Rows, _featureNames!.Length, rowPointers, columns, values);
    }

    private static void Normalize(Span<double> row, TfidfNorm norm)
    {
        if (norm == TfidfNorm.None) return;
        double sum = 0;
        if (norm == TfidfNorm.L2) foreach (double v in row) sum += v * v;
        else foreach (double v in row) sum += Math.Abs(v);
        if (sum == 0) return; // an empty row stays all zero
        double scale = norm == TfidfNorm.L2 ? Math.Sqrt(sum) : sum;
        for (int i = 0; i < row.Length; i++) row[i] /= scale;
    }

    /// <summary>Collects term ids while learning; new terms get the next id.</summary>
    private struct LearningSink(Dictionary<string, int> terms) : TextAnalyzer.ITermSink
    {
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = terms.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly List<int> _occurrences = new(256);
        public readonly List<string> Terms = new(1 << 16);

        public readonly void BeginDocument() => _occurrences.Clear();

        public readonly void Term(ReadOnlySpan<char> term)
        {
            if (!_lookup.TryGetValue(term, out int id))
            {
                // A new term: one string, shared by the dictionary key and the id → term list.
                var text = term.ToString();
                id = Terms.Count;
                _lookup.Dictionary.Add(text, id);
                Terms.Add(text);
            }
            _occurrences.Add(id);
        }

        public readonly void EndDocument(List<int> columns, List<int> values)
        {
            var (c, v) = RunLengths(CollectionsMarshal.AsSpan(_occurrences));
            columns.AddRange(c);
            values.AddRange(v);
        }
    }

    /// <summary>Collects the columns of known terms.</summary>
    private readonly struct LookupSink(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, List<int> columns) : TextAnalyzer.ITermSink
    {
        public void Term(ReadOnlySpan<char> term)
        {
            if (lookup.TryGetValue(term, out int column)) columns.Add(column);
        }
    }

    /// <summary>
    /// Writes <see cref="FileName"/> into <paramref name="directory"/> atomically: options, feature names (column order) and idf.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (_featureNames is null) throw NotFitted();
        var file = new SavedVectorizer(FormatName, FormatVersion, Options with { Vocabulary = null }, _featureNames, _idf!, Options.Vocabulary is not null);
        AtomicFile.Write(Path.Combine(directory, FileName), s => JsonSerializer.Serialize(s, file, SaveJson));
    }

    /// <summary>Loads a vectorizer written by <see cref="Save"/> from <paramref name="directory"/>.</summary>
    public static TfidfVectorizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new InputException("The TF-IDF vectorizer file is missing.", file: path);
        SavedVectorizer? saved;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            saved = JsonSerializer.Deserialize<SavedVectorizer>(stream, SaveJson);
        }
        catch (JsonException e)
        {
            throw new InputException($"Invalid vectorizer JSON: {e.Message}", file: path, line: e.LineNumber + 1, field: e.Path, inner: e);
        }
        if (saved is null || saved.Format != FormatName)
            throw new InputException($"Not a Classify TF-IDF vectorizer (expected format '{FormatName}').", file: path, field: "format");
        if (saved.Version != FormatVersion)
            throw new InputException($"Unsupported vectorizer format version {saved.Version} (this build reads {FormatVersion}).", file: path, field: "version");
        if (saved.FeatureNames.Length != saved.Idf.Length)
            throw new InputException($"feature_names has {saved.FeatureNames.Length} entries but idf has {saved.Idf.Length}.", file: path, field: "idf");

        var options = saved.FixedVocabulary ? saved.Options with { Vocabulary = saved.FeatureNames } : saved.Options;
        var vectorizer = new TfidfVectorizer(options);
        var vocabulary = new Dictionary<string, int>(saved.FeatureNames.Length, StringComparer.Ordinal);
        for (int c = 0; c < saved.FeatureNames.Length; c++)
            if (!vocabulary.TryAdd(saved.FeatureNames[c], c))
                throw new InputException($"Term '{saved.FeatureNames[c]}' appears twice.", file: path, field: "feature_names");
        vectorizer._vocabulary = vocabulary;
        vectorizer._featureNames = saved.FeatureNames;
        vectorizer._idf = saved.Idf;
        return vectorizer;
    }

    private static readonly JsonSerializerOptions SaveJson = new(AtomicFile.JsonOptions) { WriteIndented = false };

    private sealed record SavedVectorizer(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("options")] TfidfVectorizerOptions Options,
        [property: JsonPropertyName("feature_names")] string[] FeatureNames,
        [property: JsonPropertyName("idf")] double[] Idf,
        [property: JsonPropertyName("fixed_vocabulary")] bool FixedVocabulary);

    private static InvalidOperationException NotFitted() => new("The TfidfVectorizer is not fitted yet: call Fit or FitTransform, or Load a saved one.");
}
