using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Linear.Engine;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.FeatureExtraction;

/// <summary>
/// The word + character union (<c>linear.tfidf.char_ngram_range</c>), and the fast paths it rests on: the hand scan of
/// the recipe's token pattern and the packed keys of short character n-grams, each checked against the general path.
/// </summary>
public sealed class UnionTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Corpus =
    [
        "I love this!! so much :)", "what a great day?", "happy and grateful", "this is wonderful...",
        "I hate this", "what an awful day", "sad  and\tangry", "this is terrible!",
        "it is a chair", "the bus leaves at 9", "a table and a lamp", "the meeting is on monday",
        "Ünïcödé café naïve 😀 emoji😀x", "\u0001\u001Cweird\u00A0spaces\u2028here", "x", "",
    ];

    private static readonly TfidfVectorizerOptions Recipe = new()
    {
        NgramRange = new(1, 2), MinDf = DocumentFrequency.Count(1), SublinearTf = true, TokenPattern = LinearOptions.DefaultTokenPattern,
    };

    private static void AssertSameMatrix(CsrMatrix x, CsrMatrix y)
    {
        Assert.Equal(x.Columns, y.Columns);
        Assert.Equal(x.RowPointers, y.RowPointers);
        Assert.Equal(x.ColumnIndices, y.ColumnIndices);
        Assert.Equal(x.Values, y.Values);
    }

    /// <summary>Random texts over letters, digits, marks, spaces, combining marks, astral and lone surrogates.</summary>
    private static string[] RandomTexts(int count, int seed)
    {
        const string alphabet = "abcXYZ019_ \t\n\u00A0\u3000.,!?'\"-@#/:é\u0301ß\u2028\u001C";
        var random = new Random(seed);
        var texts = new string[count];
        for (int t = 0; t < count; t++)
        {
            var sb = new System.Text.StringBuilder();
            int length = random.Next(0, 60);
            for (int i = 0; i < length; i++)
            {
                int pick = random.Next(100);
                if (pick < 3) sb.Append("😀");           // astral symbol (not a word character)
                else if (pick < 5) sb.Append("𝐀");       // astral letter (a word character)
                else if (pick < 6) sb.Append('\uD800');  // lone surrogate
                else sb.Append(alphabet[random.Next(alphabet.Length)]);
            }
            texts[t] = sb.ToString();
        }
        return texts;
    }

    [Fact]
    public void The_recipe_token_pattern_scanned_by_hand_gives_the_regex_tokens()
    {
        // The same pattern in a spelling the analyzer does not recognise goes through the (Python-translated) regex.
        var viaRegex = new TextAnalyzer(new TfidfVectorizerOptions { TokenPattern = @"(?u)(?:\b\w+\b|[^\w\s])" });
        var byHand = new TextAnalyzer(new TfidfVectorizerOptions { TokenPattern = TextAnalyzer.WordsAndMarksPattern });
        List<(int, int)> expected = [], actual = [];
        foreach (var text in RandomTexts(2000, 7).Concat(Corpus))
        {
            viaRegex.Tokenize(text, expected);
            byHand.Tokenize(text, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(TfidfAnalyzer.Char, 1, 3)]
    [InlineData(TfidfAnalyzer.Char, 3, 3)]
    [InlineData(TfidfAnalyzer.Char, 2, 2)]
    [InlineData(TfidfAnalyzer.CharWb, 1, 3)]
    [InlineData(TfidfAnalyzer.CharWb, 3, 3)]
    public void Packed_character_ngrams_count_what_the_span_path_counts(TfidfAnalyzer analyzer, int min, int max)
    {
        var texts = RandomTexts(500, 11).Concat(Corpus).ToArray();
        var options = new TfidfVectorizerOptions { Analyzer = analyzer, NgramRange = new(min, max), MinDf = DocumentFrequency.Count(1) };
        var packed = new TfidfVectorizer(options);
        var x = packed.FitTransform(texts);
        // The span path's terms, counted by hand: every term the analyzer visits, per document.
        var analyzer_ = new TextAnalyzer(options);
        var expected = new SortedDictionary<string, int>(PythonText.CodePointComparer);
        var scratch = new TextAnalyzer.Scratch();
        foreach (var text in texts)
        {
            var sink = new CollectingSink(new HashSet<string>(StringComparer.Ordinal));
            analyzer_.ForEachTerm(analyzer_.Preprocess(text), scratch, ref sink);
            foreach (var term in sink.Terms) expected[term] = expected.GetValueOrDefault(term) + 1;
        }
        Assert.Equal(expected.Keys, packed.FeatureNames);
        var df = new int[packed.FeatureCount];
        foreach (int c in x.ColumnIndices) df[c]++;
        Assert.Equal(expected.Values, df);
        foreach (var term in packed.FeatureNames) Assert.Equal(term, TfidfVectorizer.Unpack(TfidfVectorizer.Pack(term)));
        AssertSameMatrix(x, packed.Transform(texts));
    }

    private readonly struct CollectingSink(HashSet<string> terms) : TextAnalyzer.ITermSink
    {
        public HashSet<string> Terms => terms;
        public void Term(ReadOnlySpan<char> term) => terms.Add(term.ToString());
    }

    [Fact]
    public void The_union_is_the_two_blocks_side_by_side_each_scaled_by_one_over_root_two()
    {
        var union = new TfidfVectorizer(Recipe with { CharNgramRange = new(3, 3), CharAnalyzer = TfidfAnalyzer.Char });
        var x = union.FitTransform(Corpus);
        var words = new TfidfVectorizer(Recipe).FitTransform(Corpus);
        var charsVectorizer = new TfidfVectorizer(Recipe with { Analyzer = TfidfAnalyzer.Char, NgramRange = new(3, 3) });
        var chars = charsVectorizer.FitTransform(Corpus);
        Assert.Equal(words.Columns + chars.Columns, union.FeatureCount);
        Assert.Equal(charsVectorizer.FeatureNames.Select(n => TfidfVectorizer.CharFeaturePrefix + n), union.FeatureNames.Skip(words.Columns));
        Assert.Equal(union.WordBlock!.FeatureNames, union.FeatureNames.Take(words.Columns));
        double scale = 1 / Math.Sqrt(2);
        for (int r = 0; r < Corpus.Length; r++)
        {
            var expectedColumns = words.RowIndices(r).ToArray().Concat(chars.RowIndices(r).ToArray().Select(c => c + words.Columns));
            var expectedValues = words.RowValues(r).ToArray().Concat(chars.RowValues(r).ToArray()).Select(v => v * scale);
            Assert.Equal(expectedColumns, x.RowIndices(r).ToArray());
            Assert.Equal(expectedValues, x.RowValues(r).ToArray());
            if (words.RowIndices(r).Length > 0 && chars.RowIndices(r).Length > 0)
                Assert.Equal(1.0, Math.Sqrt(x.RowValues(r).ToArray().Sum(v => v * v)), 12);
        }
        AssertSameMatrix(x, union.Transform(Corpus));
        Assert.Equal(union.Vocabulary["char: lo"], words.Columns + charsVectorizer.Vocabulary[" lo"]);
    }

    [Fact]
    public void The_union_saves_and_loads_exactly_and_a_plain_vectorizer_file_is_unchanged()
    {
        var options = Recipe with { CharNgramRange = new(2, 3), CharAnalyzer = TfidfAnalyzer.CharWb, CharMinDf = DocumentFrequency.Count(2), CharMaxFeatures = 40 };
        var union = new TfidfVectorizer(options);
        var x = union.FitTransform(Corpus);
        Assert.Equal(40, union.CharBlock!.FeatureCount);
        union.Save(_dir);
        var loaded = TfidfVectorizer.Load(_dir);
        Assert.Equal(options, loaded.Options);
        Assert.Equal(union.FeatureNames, loaded.FeatureNames);
        Assert.Equal(union.Idf, loaded.Idf);
        AssertSameMatrix(x, loaded.Transform(Corpus));

        var plain = new TfidfVectorizer(Recipe);
        plain.Fit(Corpus);
        var plainDir = Path.Combine(_dir, "plain");
        Directory.CreateDirectory(plainDir);
        plain.Save(plainDir);
        var json = File.ReadAllText(Path.Combine(plainDir, TfidfVectorizer.FileName));
        Assert.DoesNotContain("char_", json);
    }

    [Fact]
    public void Bad_union_options_are_input_errors()
    {
        Assert.Equal("char_ngram_range", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { CharAnalyzer = TfidfAnalyzer.Char })).Field);
        Assert.Equal("char_ngram_range", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { CharNgramRange = new(3, 2) })).Field);
        Assert.Equal("char_ngram_range", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { Analyzer = TfidfAnalyzer.Char, CharNgramRange = new(3, 3) })).Field);
        Assert.Equal("char_analyzer", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { CharNgramRange = new(3, 3), CharAnalyzer = TfidfAnalyzer.Word })).Field);
        Assert.Equal("char_max_features", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { CharNgramRange = new(3, 3), CharMaxFeatures = 0 })).Field);
        Assert.Equal("vocabulary", Assert.Throws<InputException>(() => new TfidfVectorizer(new() { CharNgramRange = new(3, 3), Vocabulary = ["a"] })).Field);
        var tooRare = new TfidfVectorizer(new() { CharNgramRange = new(3, 3), CharMinDf = DocumentFrequency.Fraction(1.0) });   // no trigram is in every document
        Assert.Equal("char_min_df", Assert.Throws<InputException>(() => tooRare.FitTransform(Corpus)).Field);
    }

    [Fact]
    public void A_config_union_resolves_its_character_keys_and_a_word_config_has_none()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b"]);
        var union = LinearOptions.Read(JsonNode.Parse("""{"tfidf": {"char_ngram_range": [3, 3]}}""")!.AsObject(), schema);
        Assert.Equal(new NgramRange(3, 3), union.Tfidf.CharNgramRange);
        Assert.Equal(TfidfAnalyzer.Char, union.Tfidf.CharAnalyzer);
        Assert.Equal(union.Tfidf.MinDf, union.Tfidf.CharMinDf);
        var json = System.Text.Json.JsonSerializer.SerializeToNode(union.Tfidf)!.AsObject();
        Assert.Equal("char", json["char_analyzer"]!.GetValue<string>());
        var words = LinearOptions.Read(new JsonObject(), schema);
        Assert.False(words.Tfidf.IsUnion);
        Assert.DoesNotContain(System.Text.Json.JsonSerializer.SerializeToNode(words.Tfidf)!.AsObject(), kv => kv.Key.StartsWith("char_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_union_model_package_predicts_the_same_after_save_and_load()
    {
        string[] texts = [.. Corpus.Take(12)];
        int[] classes = [2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1];
        var vectorizer = new TfidfVectorizer(Recipe with { CharNgramRange = new(3, 3), CharAnalyzer = TfidfAnalyzer.Char });
        var x = vectorizer.FitTransform(texts);
        var classifier = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear, C = 2 });
        classifier.Fit(x, classes, classCount: 3);
        var schema = new LabelSchema(TaskKind.Multiclass, ["negative", "neutral", "positive"]);
        var manifest = new ModelManifest { Engine = LinearPredictor.EngineName, Task = schema.Kind.ToName(), Labels = schema.Labels };
        using var trained = new LinearPredictor(manifest, vectorizer, classifier);
        TextInput[] probe = ["what a wonderful day!", "the lamp is on the table", "awful, sad day", "😀 unseen words"];
        var before = trained.PredictProbabilities(probe);
        trained.Save(_dir);
        using var loaded = LinearPredictor.Load(_dir);
        Assert.True(loaded.Vectorizer.Options.IsUnion);
        var after = loaded.PredictProbabilities(probe);
        for (int i = 0; i < probe.Length; i++) Assert.Equal(before[i], after[i]);
        Assert.Equal(2, DecisionRule.ArgMax(after[0]));
    }
}
