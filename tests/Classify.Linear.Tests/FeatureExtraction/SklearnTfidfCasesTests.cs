using System.Text.Json;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.Tests.LogisticRegression;
using static Classify.Linear.Tests.FeatureExtraction.SklearnTfidfFixtureTests;

namespace Classify.Linear.Tests.FeatureExtraction;

/// <summary>
/// Parity with scikit-learn 1.2.1 on 15 option sets (analyzers, accents, stop words, max_features ties, idf/norm
/// variants, custom token patterns, a fixed vocabulary) over tricky Unicode text: Fixtures/tfidf_cases.json,
/// made by Fixtures/make_tfidf_cases.py.
/// </summary>
public class SklearnTfidfCasesTests
{
    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestPaths.RepoRoot, "tests", "Classify.Linear.Tests", "FeatureExtraction", "Fixtures", "tfidf_cases.json"))).RootElement);

    public static TheoryData<string> CaseNames() =>
    [
        "word_default", "word_1_3_min2_max095_sublinear", "word_1_2_max_features_40", "word_1_2_english_binary_l1",
        "word_unicode_accents_no_idf", "word_ascii_accents_no_smooth_no_norm", "char_2_4", "char_1_3_max_features_150",
        "char_wb_2_5_min_df_fraction", "char_wb_1_3", "char_wb_4_6_short_words", "word_single_letters_no_lowercase",
        "word_group_pattern", "word_int_min3_max10", "word_fixed_vocabulary",
    ];

    [Fact]
    public void Every_fixture_case_is_tested() =>
        Assert.Equal(Root.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!),
            ((IEnumerable<object[]>)CaseNames()).Select(row => (string)row[0]));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Matches_scikit_learn(string name)
    {
        var c = Root.Value.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var options = ToOptions(c.GetProperty("params"));
        var vectorizer = new TfidfVectorizer(options);
        var train = vectorizer.FitTransform(Strings(Root.Value.GetProperty("documents")));

        Assert.Equal(Strings(c.GetProperty("feature_names")), vectorizer.FeatureNames);
        if (c.GetProperty("idf").ValueKind == JsonValueKind.Array)
        {
            var idf = Doubles(c.GetProperty("idf"));
            Assert.Equal(idf.Length, vectorizer.Idf.Count);
            for (int i = 0; i < idf.Length; i++) Assert.Equal(idf[i], vectorizer.Idf[i], 1e-12);
        }
        Assert.Equal(Strings(c.GetProperty("stop_words")).Order(StringComparer.Ordinal), vectorizer.StopWords.Order(StringComparer.Ordinal));
        AssertCsrEqual(c.GetProperty("X_train"), train);
        AssertCsrEqual(c.GetProperty("X_new"), vectorizer.Transform(Strings(Root.Value.GetProperty("new_documents"))));
        // Fit + Transform gives what FitTransform gives.
        var refit = new TfidfVectorizer(options).Fit(Strings(Root.Value.GetProperty("documents")));
        AssertCsrEqual(c.GetProperty("X_train"), refit.Transform(Strings(Root.Value.GetProperty("documents"))));
    }

    private static TfidfVectorizerOptions ToOptions(JsonElement p)
    {
        var o = new TfidfVectorizerOptions();
        foreach (var e in p.EnumerateObject())
        {
            o = e.Name switch
            {
                "ngram_range" => o with { NgramRange = new NgramRange(e.Value[0].GetInt32(), e.Value[1].GetInt32()) },
                "min_df" => o with { MinDf = DocumentFrequency.Parse(e.Value.GetRawText()) },
                "max_df" => o with { MaxDf = DocumentFrequency.Parse(e.Value.GetRawText()) },
                "max_features" => o with { MaxFeatures = e.Value.GetInt32() },
                "sublinear_tf" => o with { SublinearTf = e.Value.GetBoolean() },
                "binary" => o with { Binary = e.Value.GetBoolean() },
                "use_idf" => o with { UseIdf = e.Value.GetBoolean() },
                "smooth_idf" => o with { SmoothIdf = e.Value.GetBoolean() },
                "lowercase" => o with { Lowercase = e.Value.GetBoolean() },
                "token_pattern" => o with { TokenPattern = e.Value.GetString()! },
                "stop_words" => o with { StopWords = e.Value.GetString() },
                "norm" => o with { Norm = e.Value.ValueKind == JsonValueKind.Null ? TfidfNorm.None : e.Value.GetString() == "l1" ? TfidfNorm.L1 : TfidfNorm.L2 },
                "strip_accents" => o with { StripAccents = e.Value.GetString() == "ascii" ? AccentStripping.Ascii : AccentStripping.Unicode },
                "analyzer" => o with { Analyzer = e.Value.GetString() == "char" ? TfidfAnalyzer.Char : TfidfAnalyzer.CharWb },
                "vocabulary" => o with { Vocabulary = Strings(e.Value) },
                _ => throw new InvalidOperationException($"Unknown parameter {e.Name}"),
            };
        }
        return o;
    }
}
