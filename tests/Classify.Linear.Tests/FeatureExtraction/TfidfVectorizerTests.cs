using System.Text.Json;
using Classify.Core.IO;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.Tests.LogisticRegression;

namespace Classify.Linear.Tests.FeatureExtraction;

public class TfidfVectorizerTests
{
    private static readonly string[] Corpus =
    [
        "the food was great", "the food was cold", "great movie great cast", "cold coffee", "the service was slow",
    ];

    [Fact]
    public void Empty_documents_and_unknown_terms_give_all_zero_rows()
    {
        var v = new TfidfVectorizer();
        var x = v.FitTransform([.. Corpus, ""]);
        Assert.Equal(0, x.RowIndices(5).Length);
        var t = v.Transform(["", "zebra quokka", "great"]);
        Assert.Equal(0, t.RowIndices(0).Length);
        Assert.Equal(0, t.RowIndices(1).Length);
        Assert.Equal([v.Vocabulary["great"]], t.RowIndices(2).ToArray());
        Assert.Equal(1.0, t.RowValues(2)[0], 15);
        Assert.All(t.Values, value => Assert.False(double.IsNaN(value)));
    }

    [Fact]
    public void Columns_are_sorted_terms_and_rows_have_sorted_indices()
    {
        var v = new TfidfVectorizer(new TfidfVectorizerOptions { NgramRange = new(1, 2) });
        var x = v.FitTransform(Corpus);
        Assert.Equal(v.FeatureNames.Order(StringComparer.Ordinal), v.FeatureNames);
        for (int r = 0; r < x.Rows; r++)
        {
            var idx = x.RowIndices(r).ToArray();
            Assert.Equal(idx.Order(), idx);
            double norm = Math.Sqrt(x.RowValues(r).ToArray().Sum(a => a * a));
            Assert.Equal(1.0, norm, 12);
        }
    }

    [Fact]
    public void Max_features_keeps_the_most_frequent_terms()
    {
        var v = new TfidfVectorizer(new TfidfVectorizerOptions { MaxFeatures = 3 });
        v.Fit(Corpus);
        // Counts: the 3, was 3, great 3, food 2, cold 2, … → the three most frequent.
        Assert.Equal(["great", "the", "was"], v.FeatureNames);
        Assert.Contains("food", v.StopWords);
        Assert.Equal(3, v.Transform(Corpus).Columns);
    }

    [Fact]
    public void Min_df_as_fraction_and_as_count()
    {
        var fraction = new TfidfVectorizer(new TfidfVectorizerOptions { MinDf = DocumentFrequency.Fraction(0.4) }).Fit(Corpus);
        var count = new TfidfVectorizer(new TfidfVectorizerOptions { MinDf = DocumentFrequency.Count(2) }).Fit(Corpus);
        Assert.Equal(["cold", "food", "great", "the", "was"], fraction.FeatureNames);
        Assert.Equal(fraction.FeatureNames, count.FeatureNames);
        var maxDf = new TfidfVectorizer(new TfidfVectorizerOptions { MaxDf = DocumentFrequency.Count(2) }).Fit(Corpus);
        Assert.DoesNotContain("the", maxDf.FeatureNames);
        Assert.Contains("the", maxDf.StopWords);
    }

    [Fact]
    public void Save_and_load_round_trip_exactly()
    {
        var options = new TfidfVectorizerOptions
        {
            NgramRange = new(1, 3), SublinearTf = true, MaxDf = DocumentFrequency.Fraction(1.0), MinDf = DocumentFrequency.Count(1),
            StripAccents = AccentStripping.Unicode, Norm = TfidfNorm.L1, StopWords = "english",
        };
        var v = new TfidfVectorizer(options);
        var x = v.FitTransform(Corpus);
        var dir = Path.Combine(Path.GetTempPath(), "classify-tfidf-" + Guid.NewGuid().ToString("N"));
        try
        {
            v.Save(dir);
            var json = File.ReadAllText(Path.Combine(dir, TfidfVectorizer.FileName));
            Assert.Contains("\"max_df\":1.0", json);
            Assert.Contains("\"min_df\":1,", json);
            var loaded = TfidfVectorizer.Load(dir);
            Assert.Equal(options, loaded.Options with { });
            Assert.Equal(v.FeatureNames, loaded.FeatureNames);
            Assert.Equal(v.Idf, loaded.Idf);
            var y = loaded.Transform(Corpus);
            Assert.Equal(x.RowPointers, y.RowPointers);
            Assert.Equal(x.ColumnIndices, y.ColumnIndices);
            Assert.Equal(x.Values, y.Values);
            Assert.Empty(loaded.StopWords);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Fixed_vocabulary_survives_save_and_load()
    {
        var v = new TfidfVectorizer(new TfidfVectorizerOptions { Vocabulary = ["was", "cold", "great"] });
        v.Fit(Corpus);
        var dir = Path.Combine(Path.GetTempPath(), "classify-tfidf-" + Guid.NewGuid().ToString("N"));
        try
        {
            v.Save(dir);
            var loaded = TfidfVectorizer.Load(dir);
            Assert.Equal(["was", "cold", "great"], loaded.Options.Vocabulary!);
            Assert.Equal(v.Transform(Corpus).Values, loaded.Transform(Corpus).Values);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bad_options_and_bad_files_raise_input_errors()
    {
        Assert.Equal("ngram_range", Assert.Throws<InputException>(() => new TfidfVectorizer(new TfidfVectorizerOptions { NgramRange = new(2, 1) })).Field);
        Assert.Equal("stop_words", Assert.Throws<InputException>(() => new TfidfVectorizer(new TfidfVectorizerOptions { StopWords = "french" })).Field);
        Assert.Equal("token_pattern", Assert.Throws<InputException>(() => new TfidfVectorizer(new TfidfVectorizerOptions { TokenPattern = "(a)(b)" })).Field);
        Assert.Throws<InputException>(() => new TfidfVectorizer().Fit(["a b c", "!"]));               // empty vocabulary
        Assert.Throws<InputException>(() => new TfidfVectorizer(new TfidfVectorizerOptions { MinDf = DocumentFrequency.Count(9) }).Fit(Corpus));
        Assert.Throws<InvalidOperationException>(() => new TfidfVectorizer().Transform(Corpus));
        var dir = Path.Combine(Path.GetTempPath(), "classify-tfidf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, TfidfVectorizer.FileName), "{\"format\": \"classify.tfidf_vectorizer\", \"version\": 1, \"options\": {\"min_df\": 1.5}}");
            var e = Assert.Throws<InputException>(() => TfidfVectorizer.Load(dir));
            Assert.EndsWith(TfidfVectorizer.FileName, e.File);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Options_json_uses_scikit_learn_names_and_python_number_kinds()
    {
        var o = new TfidfVectorizerOptions { NgramRange = new(1, 2), MinDf = DocumentFrequency.Count(2), MaxDf = DocumentFrequency.Fraction(0.95), Analyzer = TfidfAnalyzer.CharWb };
        var json = JsonSerializer.Serialize(o);
        Assert.Contains("\"ngram_range\":[1,2]", json);
        Assert.Contains("\"min_df\":2", json);
        Assert.Contains("\"max_df\":0.95", json);
        Assert.Contains("\"analyzer\":\"char_wb\"", json);
        Assert.Equal(o with { }, JsonSerializer.Deserialize<TfidfVectorizerOptions>(json));
        Assert.True(DocumentFrequency.Parse("1.0").IsFraction);
        Assert.False(DocumentFrequency.Parse("1").IsFraction);
        Assert.Throws<FormatException>(() => DocumentFrequency.Parse("1.5"));
    }

    [Fact]
    public void Numpy_argsort_port_matches_numpy_on_ties()
    {
        var root = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(TestPaths.RepoRoot, "tests", "Classify.Linear.Tests", "FeatureExtraction", "Fixtures", "numpy_argsort.json"))).RootElement;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var values = c.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var expected = c.GetProperty("argsort").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, NumpyArgsort.ArgSort(values));
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Fits_trigrams_on_19k_tweets_and_transforms_them_alike()
    {
        var path = Path.Combine(TestPaths.Shared, "data", "tweet-sentiment-extraction", "train.csv");
        var texts = File.ReadLines(path).Skip(1).Take(19_000).Select(line =>
        {
            int first = line.IndexOf(','), last = line.LastIndexOf(','), secondLast = line.LastIndexOf(',', Math.Max(first, last - 1));
            return secondLast > first ? line[(first + 1)..secondLast] : line;
        }).ToList();
        var options = new TfidfVectorizerOptions
        {
            NgramRange = new(1, 3), MinDf = DocumentFrequency.Count(2), MaxDf = DocumentFrequency.Fraction(0.95), MaxFeatures = 100_000, SublinearTf = true,
        };
        // Speed is measured by the linear benchmark (bench/, TF-IDF seconds), not here: process CPU time also counts the
        // tests running beside this one.
        var v = new TfidfVectorizer(options);
        var x = v.FitTransform(texts);
        var y = v.Transform(texts);
        Assert.Equal(x.Values, y.Values);
    }
}
