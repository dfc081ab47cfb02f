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
/// With <see cref="TfidfVectorizerOptions.CharNgramRange"/> set it is a word + character union: two such vectorizers
/// (<see cref="WordBlock"/>, <see cref="CharBlock"/>) whose normalised rows are scaled by 1/√2 and placed side by side.
/// </remarks>
public sealed class TfidfVectorizer
{
    /// <summary>The file <see cref="Save"/> writes inside a model folder.</summary>
    public const string FileName = "tfidf_vectorizer.json";
    private const string FormatName = "classify.tfidf_vectorizer";
    private const int FormatVersion = 1;

    private readonly TextAnalyzer _analyzer;
    // Character n-grams of at most 3 code points are counted under a packed 63-bit key (21 bits per code point)
    // instead of their string: no string hashing per n-gram; the strings are built once per distinct term.
    private readonly bool _packed;
    private Dictionary<ulong, int>? _packedVocabulary;
    // The word + character union (Options.CharNgramRange): two plain vectorizers whose blocks are concatenated.
    private readonly TfidfVectorizer? _word, _char;
    private Dictionary<string, int>? _vocabulary;
    private string[]? _featureNames;
    private double[]? _idf;
    // stop_words_ is for inspection only: built on first use from the fit's terms (millions of strings to hash, for nothing, otherwise)
    private Lazy<IReadOnlySet<string>> _stopWords = new(new HashSet<string>());

    /// <summary>Creates an unfitted vectorizer; the options are validated here.</summary>
    public TfidfVectorizer(TfidfVectorizerOptions? options = null)
    {
        Options = options ?? new TfidfVectorizerOptions();
        Options.Validate();
        _analyzer = new TextAnalyzer(Options);
        _packed = Options.Analyzer != TfidfAnalyzer.Word && Options.NgramRange.Max <= MaxPackedCodePoints;
        if (Options.IsUnion)
        {
            _word = new TfidfVectorizer(Options.WordBlock());
            _char = new TfidfVectorizer(Options.CharBlock());
        }
    }

    /// <summary>The prefix of a character n-gram's feature name in a word + character union (<c>char:</c> + the n-gram).</summary>
    public const string CharFeaturePrefix = "char:";

    /// <summary>The word block of a union (null for a plain vectorizer).</summary>
    public TfidfVectorizer? WordBlock => _word;

    /// <summary>The character block of a union (null for a plain vectorizer).</summary>
    public TfidfVectorizer? CharBlock => _char;

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
    public IReadOnlySet<string> StopWords => IsFitted ? _stopWords.Value : throw NotFitted();

    /// <summary>Number of columns.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>Learns the vocabulary and idf from <paramref name="documents"/>.</summary>
    public TfidfVectorizer Fit(IReadOnlyList<string> documents)
    {
        if (_word is not null)
        {
            FitTransform(documents);
            return this;
        }
        FitCounts(documents);
        return this;
    }

    /// <summary>Learns the vocabulary and idf, and returns the TF-IDF matrix of <paramref name="documents"/> (one pass over the text).</summary>
    public CsrMatrix FitTransform(IReadOnlyList<string> documents)
    {
        if (_word is not null)
        {
            var words = _word.FitTransform(documents);
            CsrMatrix chars;
            try { chars = _char!.FitTransform(documents); }
            catch (InputException e) when (e.Field is "min_df" or "max_df")
            {
                throw new InputException($"Character block: {e.Reason}", field: e.Field == "min_df" ? "char_min_df" : "max_df", inner: e);
            }
            CombineBlocks();
            return Concatenate(words, chars);
        }
        var counts = FitCounts(documents);
        return Weight(counts);
    }

    /// <summary>The TF-IDF matrix of <paramref name="documents"/> under the learnt vocabulary; unknown terms are ignored.</summary>
    public CsrMatrix Transform(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (_vocabulary is null) throw NotFitted();
        if (_word is not null) return Concatenate(_word.Transform(documents), _char!.Transform(documents));
        return Weight(CountKnownTerms(documents, _vocabulary));
    }

    /// <summary>Raw counts: one row per document (learnt term ids in order of first occurrence; known columns sorted).</summary>
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
            _stopWords = new(new HashSet<string>());
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
            var removed = new Lazy<IReadOnlySet<string>>(() =>
            {
                var set = new HashSet<string>(terms.Count - featureNames.Length, StringComparer.Ordinal);
                for (int t = 0; t < columnOf.Length; t++) if (columnOf[t] < 0) set.Add(terms[t]);
                return set;
            });
            _featureNames = featureNames;
            _vocabulary = new Dictionary<string, int>(featureNames.Length, StringComparer.Ordinal);
            for (int c = 0; c < featureNames.Length; c++) _vocabulary[featureNames[c]] = c;
            _stopWords = removed;
        }
        _idf = ComputeIdf(df, n);
        _packedVocabulary = _packed ? PackVocabulary(_vocabulary) : null;
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
        if (_packed) return CountAllPackedTerms(documents);
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

    /// <summary><see cref="CountAllTerms"/> for short character n-grams, keyed by their packed code points.</summary>
    private (Counts Counts, List<string> Terms) CountAllPackedTerms(IReadOnlyList<string> documents)
    {
        var preprocessed = Preprocess(documents);
        var sink = new PackedLearningSink(new Dictionary<ulong, int>(1 << 16));
        var scratch = new TextAnalyzer.Scratch();
        var rowPointers = new int[documents.Count + 1];
        var columns = new List<int>(documents.Count * 32);
        var values = new List<int>(documents.Count * 32);
        for (int d = 0; d < preprocessed.Length; d++)
        {
            sink.BeginDocument();
            if (_analyzer.Analyzer == TfidfAnalyzer.Char) _analyzer.ForEachPackedCharTerm(preprocessed[d], ref sink);
            else _analyzer.ForEachTerm(preprocessed[d], scratch, ref sink);
            sink.EndDocument(columns, values);
            rowPointers[d + 1] = columns.Count;
        }
        var terms = new List<string>(sink.Keys.Count);
        foreach (ulong key in sink.Keys) terms.Add(Unpack(key));
        return (new Counts(documents.Count, rowPointers, [.. columns], [.. values]), terms);
    }

    /// <summary>The most code points a packed key holds.</summary>
    private const int MaxPackedCodePoints = 3;

    /// <summary>
    /// A term of at most 3 code points as one number: 21 bits per code point (the code point + 1, so that no group is
    /// zero and terms of different lengths differ), the first code point highest. A lone surrogate counts as one code
    /// point of its own value, as <see cref="TextAnalyzer.CodePointOffsets"/> counts it.
    /// </summary>
    internal static ulong Pack(ReadOnlySpan<char> term)
    {
        ulong key = 0;
        int count = 0;
        for (int i = 0; i < term.Length; i++)
        {
            int cp = term[i];
            if (char.IsHighSurrogate(term[i]) && i + 1 < term.Length && char.IsLowSurrogate(term[i + 1]))
                cp = char.ConvertToUtf32(term[i], term[++i]);
            if (++count > MaxPackedCodePoints) throw new InvalidOperationException("A packed term holds at most 3 code points.");
            key = (key << 21) | (uint)(cp + 1);
        }
        return key;
    }

    /// <summary>The term a <see cref="Pack"/> key stands for.</summary>
    internal static string Unpack(ulong key)
    {
        Span<char> buffer = stackalloc char[2 * MaxPackedCodePoints];
        int length = 0;
        for (int shift = 42; shift >= 0; shift -= 21)
        {
            int group = (int)((key >> shift) & 0x1FFFFF);
            if (group == 0) continue;
            int cp = group - 1;
            if (cp is >= 0xD800 and <= 0xDFFF) buffer[length++] = (char)cp;
            else length += new System.Text.Rune(cp).EncodeToUtf16(buffer[length..]);
        }
        return new string(buffer[..length]);
    }

    /// <summary>Batches smaller than this are transformed on the calling thread.</summary>
    internal const int ParallelFromDocuments = 64;

    /// <summary>Counts the known terms of each document, in parallel over documents (from <see cref="ParallelFromDocuments"/> on).</summary>
    private Counts CountKnownTerms(IReadOnlyList<string> documents, Dictionary<string, int> vocabulary)
    {
        if (_packed) return CountKnownPackedTerms(documents, ReferenceEquals(vocabulary, _vocabulary) && _packedVocabulary is { } known ? known : PackVocabulary(vocabulary));
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        return CountRows(documents, (text, scratch, columns) =>
        {
            var sink = new LookupSink(lookup, columns);
            _analyzer.ForEachTerm(text, scratch, ref sink);
        });
    }

    /// <summary>
    /// The rows of <see cref="CountKnownTerms"/>: <paramref name="collect"/> appends the vocabulary columns of a preprocessed
    /// document's terms, one per occurrence. A small batch (a server's micro-batch, under <see cref="ParallelFromDocuments"/>)
    /// runs on the calling thread: fanning a few tweets out to the thread pool costs more than counting them, and
    /// competes with the threads serving requests.
    /// </summary>
    private Counts CountRows(IReadOnlyList<string> documents, Action<string, TextAnalyzer.Scratch, List<int>> collect)
    {
        var rows = new (int[] Columns, int[] Values)[documents.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = documents.Count < ParallelFromDocuments ? 1 : -1 };
        Parallel.For(0, documents.Count, parallel,
            () => (Scratch: new TextAnalyzer.Scratch(), Columns: new List<int>(128)),
            (d, _, state) =>
            {
                state.Columns.Clear();
                collect(_analyzer.Preprocess(documents[d] ?? throw new ArgumentException($"Document {d} is null.", nameof(documents))), state.Scratch, state.Columns);
                rows[d] = RunLengths(CollectionsMarshal.AsSpan(state.Columns));
                return state;
            },
            _ => { });
        return Stack(rows);
    }

    private static Dictionary<ulong, int> PackVocabulary(Dictionary<string, int> vocabulary)
    {
        var packed = new Dictionary<ulong, int>(vocabulary.Count);
        foreach (var (term, column) in vocabulary)
            if (term.Length <= 2 * MaxPackedCodePoints && CodePoints(term) <= MaxPackedCodePoints) packed[Pack(term)] = column;   // a longer term never occurs
        return packed;
    }

    private static int CodePoints(ReadOnlySpan<char> term)
    {
        int count = 0;
        for (int i = 0; i < term.Length; i++, count++)
            if (char.IsHighSurrogate(term[i]) && i + 1 < term.Length && char.IsLowSurrogate(term[i + 1])) i++;
        return count;
    }

    /// <summary><see cref="CountKnownTerms"/> for short character n-grams, keyed by their packed code points.</summary>
    private Counts CountKnownPackedTerms(IReadOnlyList<string> documents, Dictionary<ulong, int> vocabulary) =>
        CountRows(documents, (text, scratch, columns) =>
        {
            var sink = new PackedLookupSink(vocabulary, columns);
            if (_analyzer.Analyzer == TfidfAnalyzer.Char) _analyzer.ForEachPackedCharTerm(text, ref sink);
            else _analyzer.ForEachTerm(text, scratch, ref sink);
        });

    /// <summary>Per-document rows stacked into one CSR matrix.</summary>
    private static Counts Stack((int[] Columns, int[] Values)[] rows)
    {
        var rowPointers = new int[rows.Length + 1];
        for (int d = 0; d < rows.Length; d++) rowPointers[d + 1] = rowPointers[d] + rows[d].Columns.Length;
        var columns = new int[rowPointers[^1]];
        var values = new int[rowPointers[^1]];
        for (int d = 0; d < rows.Length; d++)
        {
            rows[d].Columns.CopyTo(columns, rowPointers[d]);
            rows[d].Values.CopyTo(values, rowPointers[d]);
        }
        return new Counts(rows.Length, rowPointers, columns, values);
    }

    /// <summary>The union's feature names, vocabulary and idf: the word block's columns, then the character block's.</summary>
    private void CombineBlocks()
    {
        var words = _word!.FeatureNames;
        var chars = _char!.FeatureNames;
        var names = new string[words.Count + chars.Count];
        for (int c = 0; c < words.Count; c++) names[c] = words[c];
        for (int c = 0; c < chars.Count; c++) names[words.Count + c] = CharFeaturePrefix + chars[c];
        var vocabulary = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (int c = 0; c < names.Length; c++) vocabulary.TryAdd(names[c], c);   // a word term spelled "char:…" keeps its own column first
        var (word, character) = (_word, _char);
        var stopWords = new Lazy<IReadOnlySet<string>>(() =>
        {
            var set = new HashSet<string>(word.StopWords, StringComparer.Ordinal);
            foreach (var t in character.StopWords) set.Add(CharFeaturePrefix + t);
            return set;
        });
        _featureNames = names;
        _vocabulary = vocabulary;
        _idf = [.. _word.Idf, .. _char.Idf];
        _stopWords = stopWords;
    }

    /// <summary>
    /// [words | chars], each block's (already normalised) rows scaled by 1/√2 for l2 (1/2 for l1, 1 for none): a row
    /// with both blocks non-empty has unit norm, and neither block outweighs the other whatever the document's length.
    /// </summary>
    private CsrMatrix Concatenate(CsrMatrix words, CsrMatrix chars)
    {
        double scale = Options.Norm switch { TfidfNorm.L2 => 1.0 / Math.Sqrt(2.0), TfidfNorm.L1 => 0.5, _ => 1.0 };
        int rows = words.Rows, offset = words.Columns;
        var rowPointers = new int[rows + 1];
        var columns = new int[words.NonZeros + chars.NonZeros];
        var values = new double[columns.Length];
        int k = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int p = words.RowPointers[r]; p < words.RowPointers[r + 1]; p++, k++)
            {
                columns[k] = words.ColumnIndices[p];
                values[k] = words.Values[p] * scale;
            }
            for (int p = chars.RowPointers[r]; p < chars.RowPointers[r + 1]; p++, k++)
            {
                columns[k] = offset + chars.ColumnIndices[p];
                values[k] = chars.Values[p] * scale;
            }
            rowPointers[r + 1] = k;
        }
        return new CsrMatrix(rows, offset + chars.Columns, rowPointers, columns, values);
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
        private readonly DocumentCounter _counter = new();
        public readonly List<string> Terms = new(1 << 16);

        public readonly void BeginDocument() => _counter.BeginDocument();

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
            _counter.Add(id);
        }

        public readonly void EndDocument(List<int> columns, List<int> values) => _counter.EndDocument(columns, values);
    }

    /// <summary><see cref="LearningSink"/> over packed keys.</summary>
    private readonly struct PackedLearningSink(Dictionary<ulong, int> terms) : TextAnalyzer.ITermSink, TextAnalyzer.IPackedTermSink
    {
        private readonly DocumentCounter _counter = new();
        public readonly List<ulong> Keys = new(1 << 16);

        public void BeginDocument() => _counter.BeginDocument();

        public void Term(ReadOnlySpan<char> term) => Term(Pack(term));

        public void Term(ulong key)
        {
            ref int id = ref CollectionsMarshal.GetValueRefOrAddDefault(terms, key, out bool exists);
            if (!exists)
            {
                id = Keys.Count;
                Keys.Add(key);
            }
            _counter.Add(id);
        }

        public void EndDocument(List<int> columns, List<int> values) => _counter.EndDocument(columns, values);
    }

    /// <summary>
    /// A document's term counts while learning, without sorting: each term id's count and the document it was last
    /// seen in. Rows come out in order of first occurrence (<see cref="Remap"/> sorts them by column afterwards).
    /// </summary>
    private sealed class DocumentCounter
    {
        private int[] _count = new int[1 << 16];
        private int[] _lastDocument = new int[1 << 16];
        private readonly List<int> _distinct = new(1024);
        private int _document;

        public void BeginDocument()
        {
            _distinct.Clear();
            _document++;
        }

        public void Add(int id)
        {
            if (id >= _count.Length)
            {
                Array.Resize(ref _count, Math.Max(id + 1, _count.Length * 2));
                Array.Resize(ref _lastDocument, _count.Length);
            }
            if (_lastDocument[id] != _document)
            {
                _lastDocument[id] = _document;
                _count[id] = 0;
                _distinct.Add(id);
            }
            _count[id]++;
        }

        public void EndDocument(List<int> columns, List<int> values)
        {
            foreach (int id in _distinct)
            {
                columns.Add(id);
                values.Add(_count[id]);
            }
        }
    }

    /// <summary><see cref="LookupSink"/> over packed keys.</summary>
    private readonly struct PackedLookupSink(Dictionary<ulong, int> lookup, List<int> columns) : TextAnalyzer.ITermSink, TextAnalyzer.IPackedTermSink
    {
        public void Term(ReadOnlySpan<char> term) => Term(Pack(term));

        public void Term(ulong key)
        {
            if (lookup.TryGetValue(key, out int column)) columns.Add(column);
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
        var file = _word is null
            ? new SavedVectorizer(FormatName, FormatVersion, Options with { Vocabulary = null }, _featureNames, _idf!, Options.Vocabulary is not null)
            : new SavedVectorizer(FormatName, FormatVersion, Options, [.. _word.FeatureNames], [.. _word.Idf], false)
            {
                CharFeatureNames = [.. _char!.FeatureNames], CharIdf = [.. _char.Idf],
            };
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
        var options = saved.FixedVocabulary ? saved.Options with { Vocabulary = saved.FeatureNames } : saved.Options;
        TfidfVectorizer vectorizer;
        try { vectorizer = new TfidfVectorizer(options); }
        catch (InputException e) { throw new InputException($"Invalid vectorizer options: {e.Reason}", file: path, field: $"options.{e.Field}", inner: e); }
        if (vectorizer._word is null)
        {
            if (saved.CharFeatureNames is not null || saved.CharIdf is not null)
                throw new InputException("char_feature_names and char_idf belong to a word + character union, but the options have no char_ngram_range.", file: path, field: "char_feature_names");
            Restore(vectorizer, saved.FeatureNames, saved.Idf, path, "");
            return vectorizer;
        }
        if (saved.CharFeatureNames is null || saved.CharIdf is null)
            throw new InputException("A word + character union needs char_feature_names and char_idf.", file: path, field: "char_feature_names");
        Restore(vectorizer._word, saved.FeatureNames, saved.Idf, path, "");
        Restore(vectorizer._char!, saved.CharFeatureNames, saved.CharIdf, path, "char_");
        vectorizer.CombineBlocks();
        return vectorizer;
    }

    private static void Restore(TfidfVectorizer vectorizer, string[] featureNames, double[] idf, string path, string prefix)
    {
        if (featureNames.Length != idf.Length)
            throw new InputException($"{prefix}feature_names has {featureNames.Length} entries but {prefix}idf has {idf.Length}.", file: path, field: $"{prefix}idf");
        var vocabulary = new Dictionary<string, int>(featureNames.Length, StringComparer.Ordinal);
        for (int c = 0; c < featureNames.Length; c++)
            if (!vocabulary.TryAdd(featureNames[c], c))
                throw new InputException($"Term '{featureNames[c]}' appears twice.", file: path, field: $"{prefix}feature_names");
        if (vectorizer._packed) vectorizer._packedVocabulary = PackVocabulary(vocabulary);
        vectorizer._vocabulary = vocabulary;
        vectorizer._featureNames = featureNames;
        vectorizer._idf = idf;
    }

    private static readonly JsonSerializerOptions SaveJson = new(AtomicFile.JsonOptions) { WriteIndented = false };

    private sealed record SavedVectorizer(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("options")] TfidfVectorizerOptions Options,
        [property: JsonPropertyName("feature_names")] string[] FeatureNames,
        [property: JsonPropertyName("idf")] double[] Idf,
        [property: JsonPropertyName("fixed_vocabulary")] bool FixedVocabulary)
    {
        /// <summary>A union's character block: its n-grams (without the <c>char:</c> prefix), column order after the word block.</summary>
        [JsonPropertyName("char_feature_names"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string[]? CharFeatureNames { get; init; }

        /// <summary>A union's character block idf.</summary>
        [JsonPropertyName("char_idf"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public double[]? CharIdf { get; init; }
    }

    private static InvalidOperationException NotFitted() => new("The TfidfVectorizer is not fitted yet: call Fit or FitTransform, or Load a saved one.");
}
