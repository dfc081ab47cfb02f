using System.Text.Json;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.Sparse;
using Classify.Linear.Tests.LogisticRegression;

namespace Classify.Linear.Tests.FeatureExtraction;

/// <summary>Parity with /work/shared/fixtures/sklearn/tfidf.json (scikit-learn 1.2.1).</summary>
public class SklearnTfidfFixtureTests
{
    private const double Tolerance = 1e-12;

    private static (JsonElement Root, TfidfVectorizer Vectorizer, CsrMatrix Train) FitFixture()
    {
        var root = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("sklearn", "tfidf.json"))).RootElement;
        var p = root.GetProperty("params");
        var options = new TfidfVectorizerOptions
        {
            NgramRange = new NgramRange(p.GetProperty("ngram_range")[0].GetInt32(), p.GetProperty("ngram_range")[1].GetInt32()),
            MinDf = DocumentFrequency.Parse(p.GetProperty("min_df").GetRawText()),
            MaxDf = DocumentFrequency.Parse(p.GetProperty("max_df").GetRawText()),
            SublinearTf = p.GetProperty("sublinear_tf").GetBoolean(),
            Lowercase = p.GetProperty("lowercase").GetBoolean(),
            TokenPattern = p.GetProperty("token_pattern").GetString()!,
            SmoothIdf = p.GetProperty("smooth_idf").GetBoolean(),
            UseIdf = p.GetProperty("use_idf").GetBoolean(),
        };
        Assert.Equal("word", p.GetProperty("analyzer").GetString());
        Assert.Equal("l2", p.GetProperty("norm").GetString());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("stop_words").ValueKind);
        Assert.Equal(JsonValueKind.Null, p.GetProperty("strip_accents").ValueKind);
        var vectorizer = new TfidfVectorizer(options);
        var train = vectorizer.FitTransform(Strings(root.GetProperty("documents")));
        return (root, vectorizer, train);
    }

    [Fact]
    public void Vocabulary_idf_and_stop_words_match()
    {
        var (root, v, _) = FitFixture();
        Assert.Equal(root.GetProperty("n_features").GetInt32(), v.FeatureCount);
        Assert.Equal(Strings(root.GetProperty("feature_names")), v.FeatureNames);
        foreach (var entry in root.GetProperty("vocabulary_").EnumerateObject())
            Assert.Equal(entry.Value.GetInt32(), v.Vocabulary[entry.Name]);
        Assert.Equal(root.GetProperty("vocabulary_").EnumerateObject().Count(), v.Vocabulary.Count);
        var idf = Doubles(root.GetProperty("idf_"));
        for (int i = 0; i < idf.Length; i++) Assert.Equal(idf[i], v.Idf[i], Tolerance);
        Assert.Equal(Strings(root.GetProperty("stop_words_")).Order(StringComparer.Ordinal), v.StopWords.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Training_matrix_matches_as_csr()
    {
        var (root, _, x) = FitFixture();
        var expected = root.GetProperty("X_train");
        AssertCsrEqual(expected, x);
    }

    [Fact]
    public void Dense_rows_and_new_documents_match()
    {
        var (root, v, x) = FitFixture();
        var dense = x.ToDense();
        var rows = root.GetProperty("transform_row_indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expectedRows = root.GetProperty("transform_rows_dense").EnumerateArray().ToArray();
        for (int k = 0; k < rows.Length; k++)
        {
            var row = Doubles(expectedRows[k]);
            for (int c = 0; c < row.Length; c++) Assert.Equal(row[c], dense[rows[k], c], Tolerance);
        }

        var fresh = v.Transform(Strings(root.GetProperty("new_documents"))).ToDense();
        var expectedNew = root.GetProperty("transform_new_documents_dense").EnumerateArray().ToArray();
        for (int r = 0; r < expectedNew.Length; r++)
        {
            var row = Doubles(expectedNew[r]);
            for (int c = 0; c < row.Length; c++) Assert.Equal(row[c], fresh[r, c], Tolerance);
        }
        // "completely unseen words only" has no known term: an all-zero row, not NaN.
        Assert.All(Enumerable.Range(0, fresh.GetLength(1)), c => Assert.Equal(0.0, fresh[1, c]));
    }

    internal static void AssertCsrEqual(JsonElement expected, CsrMatrix actual)
    {
        var shape = expected.GetProperty("shape");
        Assert.Equal(shape[0].GetInt32(), actual.Rows);
        Assert.Equal(shape[1].GetInt32(), actual.Columns);
        Assert.Equal(Ints(expected.GetProperty("indptr")), actual.RowPointers);
        Assert.Equal(Ints(expected.GetProperty("indices")), actual.ColumnIndices);
        var data = Doubles(expected.GetProperty("data"));
        Assert.Equal(data.Length, actual.Values.Length);
        double worst = 0;
        for (int i = 0; i < data.Length; i++) worst = Math.Max(worst, Math.Abs(data[i] - actual.Values[i]));
        Assert.True(worst <= Tolerance, $"max |difference| {worst:E2}");
    }

    internal static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
    internal static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    internal static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
