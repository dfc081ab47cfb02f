using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Linear.Engine;

namespace Classify.Linear.Tests.Engine;

/// <summary>
/// The <c>linear:</c> section is checked when it is parsed (before anything is written), and against the training
/// split by <see cref="LinearTrainer.CheckTrainingData"/>; every error names the config file, the line and the key.
/// </summary>
public sealed class LinearOptionsTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly LabelSchema Sentiment = new(TaskKind.Multiclass, ["negative", "neutral", "positive"]);

    private string _configPath = "";

    /// <summary>Parses a config whose <c>linear:</c> section is <paramref name="linear"/> (YAML, indented by two).</summary>
    private LinearOptions Parse(string linear, LabelSchema? schema = null)
    {
        _configPath = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(_configPath, $"name: t\ndata:\n  path: data.csv\nengine: linear\nlinear:\n{linear}\n");
        var config = ExperimentConfig.Load(_configPath);
        return new LinearTrainer().ParseOptions(config.EngineSection(), schema ?? Sentiment);
    }

    /// <summary>The 1-based line of the first line containing <paramref name="text"/> in the config.</summary>
    private long LineOf(string text) => File.ReadAllLines(_configPath).Select((l, i) => (l, i)).First(x => x.l.Contains(text, StringComparison.Ordinal)).i + 1;

    private InputException ParseError(string linear, string key, string mention, LabelSchema? schema = null)
    {
        var e = Assert.Throws<InputException>(() => Parse(linear, schema));
        Assert.Equal(_configPath, e.File);
        Assert.Equal(key, e.Field);
        Assert.Contains(mention, e.Reason);
        Assert.NotNull(e.Line);
        return e;
    }

    [Fact]
    public void The_baseline_section_parses()
    {
        var o = Parse("  tfidf: {ngram_range: [1, 3], min_df: 2, max_df: 0.95}\n  search:\n    grid: {C: [0.1, 1], class_weight: [none, balanced, {negative: 1.2, neutral: 0.8, positive: 1.2}]}\n    cv: 5");
        Assert.Equal(5, o.Folds);
        Assert.Equal(2, o.Grid.Count);
    }

    [Fact]
    public void No_section_gives_the_measured_zero_config_recipe()
    {
        // docs/defaults.md: word 1-2-grams, min_df 2, sublinear tf, class_weight balanced, C 2, liblinear, no search
        var o = LinearOptions.Read(new System.Text.Json.Nodes.JsonObject(), Sentiment);
        Assert.Equal(new Classify.Linear.FeatureExtraction.NgramRange(1, 2), o.Tfidf.NgramRange);
        Assert.Equal(Classify.Linear.FeatureExtraction.DocumentFrequency.Count(2), o.Tfidf.MinDf);
        Assert.True(o.Tfidf.SublinearTf);
        Assert.Equal(@"(?u)\b\w+\b|[^\w\s]", o.Tfidf.TokenPattern);
        Assert.Equal(Classify.Linear.FeatureExtraction.TfidfAnalyzer.Word, o.Tfidf.Analyzer);
        Assert.Equal(Classify.Linear.FeatureExtraction.DocumentFrequency.Fraction(1.0), o.Tfidf.MaxDf);
        Assert.Null(o.Tfidf.MaxFeatures);
        Assert.Equal(2.0, o.LogReg.C);
        Assert.Equal(Classify.Linear.LogisticRegression.ClassWeight.Balanced, o.LogReg.ClassWeight);
        Assert.Equal(Classify.Linear.LogisticRegression.LogisticSolver.Liblinear, o.LogReg.Solver);
        Assert.Empty(o.Grid);
        Assert.Equal(0, o.Ensemble);
        Assert.Equal(LinearOptions.DefaultC, o.LogReg.C);
    }

    [Fact]
    public void Keys_given_keep_their_meaning_and_only_left_out_keys_take_the_recipe()
    {
        // scikit-learn's old defaults, written out, are exactly what they say
        var old = Parse("  tfidf: {ngram_range: [1, 1], min_df: 1, sublinear_tf: false, token_pattern: '(?u)\\b\\w\\w+\\b'}\n  logreg: {C: 1.0, class_weight: none}");
        Assert.Equal(Classify.Linear.FeatureExtraction.TfidfVectorizerOptions.DefaultTokenPattern, old.Tfidf.TokenPattern);
        Assert.Equal(new Classify.Linear.FeatureExtraction.NgramRange(1, 1), old.Tfidf.NgramRange);
        Assert.Equal(Classify.Linear.FeatureExtraction.DocumentFrequency.Count(1), old.Tfidf.MinDf);
        Assert.False(old.Tfidf.SublinearTf);
        Assert.Equal(1.0, old.LogReg.C);
        Assert.Equal(Classify.Linear.LogisticRegression.ClassWeight.None, old.LogReg.ClassWeight);
        // one key given: the others come from the recipe
        var partial = Parse("  tfidf: {max_features: 5000}\n  logreg: {penalty: l2}");
        Assert.Equal(5000, partial.Tfidf.MaxFeatures);
        Assert.Equal(new Classify.Linear.FeatureExtraction.NgramRange(1, 2), partial.Tfidf.NgramRange);
        Assert.True(partial.Tfidf.SublinearTf);
        Assert.Equal(LinearOptions.DefaultTokenPattern, partial.Tfidf.TokenPattern);
        Assert.Equal(Classify.Linear.LogisticRegression.ClassWeight.Balanced, partial.LogReg.ClassWeight);
        Assert.Equal(2.0, partial.LogReg.C);
        // a max_df count of 1 keeps min_df 1 instead of clashing with the recipe's 2
        Assert.Equal(Classify.Linear.FeatureExtraction.DocumentFrequency.Count(1), Parse("  tfidf: {max_df: 1}").Tfidf.MinDf);
    }

    [Fact]
    public void Cv_1_is_refused_and_0_selects_on_validation()
    {
        var e = ParseError("  search:\n    grid: {C: [1, 2]}\n    cv: 1", "linear.search.cv", "cv must be 0 (select on the validation split) or at least 2");
        Assert.Equal(LineOf("cv: 1"), e.Line);
        ParseError("  search:\n    cv: -3", "linear.search.cv", "found -3");
        Assert.Equal(0, Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 0").Folds);
    }

    [Fact]
    public void An_unknown_scoring_metric_is_named()
    {
        var e = ParseError("  search:\n    scoring: f2", "linear.search.scoring", "unknown metric 'f2'");
        Assert.Equal(LineOf("scoring"), e.Line);
        Assert.Equal("macro_f1", Parse("  search:\n    scoring: f1_macro").Scoring);
    }

    [Fact]
    public void A_multilabel_metric_is_refused_for_a_single_label_task()
    {
        ParseError("  search:\n    grid: {C: [1]}\n    scoring: samples_f1", "linear.search.scoring", "multilabel tasks only");
        var multilabel = new LabelSchema(TaskKind.Multilabel, ["a", "b", "c"]);
        Assert.Equal("samples_f1", Parse("  search:\n    scoring: samples_f1", multilabel).Scoring);
    }

    [Fact]
    public void A_negative_class_weight_is_named_in_logreg_and_in_the_grid()
    {
        var e = ParseError("  logreg:\n    class_weight: {negative: -1, neutral: 1, positive: 1}", "linear.logreg.class_weight.negative", "≥ 0");
        Assert.Equal(LineOf("class_weight"), e.Line);
        ParseError("  search:\n    grid:\n      class_weight: [{negative: 1, neutral: -0.5, positive: 1}]", "linear.search.grid.class_weight.neutral", "-0.5");
    }

    [Theory]
    [InlineData("min_df: 5, max_df: 3", "max_df 3 is below min_df 5")]
    [InlineData("min_df: 0.5, max_df: 0.1", "max_df 0.1 is below min_df 0.5")]
    public void Max_df_below_min_df_in_the_same_unit_is_refused_when_parsed(string bounds, string mention)
    {
        var e = ParseError($"  tfidf: {{{bounds}}}", "linear.tfidf.max_df", mention);
        Assert.Contains("max_df corresponds to < documents than min_df", e.Reason);
    }

    [Fact]
    public void Max_df_and_min_df_in_different_units_are_left_to_the_data_check()
    {
        var o = Parse("  tfidf: {min_df: 5, max_df: 0.001}");
        var e = Assert.Throws<InputException>(() => new LinearTrainer().CheckTrainingData(o, Sentiment, Examples(1000, 1000, 1000), 100, null));
        Assert.Equal("linear.tfidf.max_df", e.Field);
        Assert.Equal(_configPath, e.File);
        Assert.Contains("3 of the 3,000 training documents", e.Reason);
        new LinearTrainer().CheckTrainingData(Parse("  tfidf: {min_df: 2, max_df: 0.95}"), Sentiment, Examples(10, 10, 10), 3, null);
    }

    [Fact]
    public void Bad_grid_values_name_the_grid_key()
    {
        ParseError("  search:\n    grid: {C: [-1, 2]}", "linear.search.grid.C", "positive");
        ParseError("  search:\n    grid: {penalty: [l3]}", "linear.search.grid.penalty", "l3");
        ParseError("  search:\n    grid: {alpha: [1]}", "linear.search.grid.alpha", "alpha");
        ParseError("  logreg: {max_iter: 0}", "linear.logreg.max_iter", "max_iter");
        ParseError("  tfidf: {ngram_range: [2, 1]}", "linear.tfidf.ngram_range", "ngram_range");
    }

    /// <summary><paramref name="perClass"/>[k] examples of class k.</summary>
    private static List<Example> Examples(params int[] perClass)
    {
        var list = new List<Example>();
        for (int k = 0; k < perClass.Length; k++)
            for (int i = 0; i < perClass[k]; i++)
                list.Add(new Example($"{k}-{i}", $"text {k} {i}", [k]));
        return list;
    }

    [Fact]
    public void More_folds_than_any_class_has_members_is_an_error_naming_cv()
    {
        var o = Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 1000");
        var e = Assert.Throws<InputException>(() => new LinearTrainer().CheckTrainingData(o, Sentiment, Examples(300, 411, 290), 150, null));
        Assert.Equal(_configPath, e.File);
        Assert.Equal("linear.search.cv", e.Field);
        Assert.Equal(LineOf("cv: 1000"), e.Line);
        Assert.Contains("'neutral' with 411", e.Reason);
    }

    [Fact]
    public void More_folds_than_examples_is_an_error()
    {
        var o = Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 10");
        var e = Assert.Throws<InputException>(() => new LinearTrainer().CheckTrainingData(o, Sentiment, Examples(3, 3, 3), 3, null));
        Assert.Contains("only 9 examples", e.Reason);
    }

    [Fact]
    public void A_class_smaller_than_the_fold_count_is_a_warning_as_in_sklearn()
    {
        var o = Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 5");
        var log = new List<string>();
        new LinearTrainer().CheckTrainingData(o, Sentiment, Examples(50, 3, 40), 10, log.Add);
        var warning = Assert.Single(log);
        Assert.StartsWith("warning:", warning);
        Assert.Contains("'neutral'", warning);
        Assert.Contains("only 3", warning);
    }

    [Fact]
    public void Folds_are_not_checked_without_a_grid_or_for_a_validation_search()
    {
        var trainer = new LinearTrainer();
        var log = new List<string>();
        trainer.CheckTrainingData(Parse("  search:\n    cv: 1000"), Sentiment, Examples(3, 3, 3), 3, log.Add);
        trainer.CheckTrainingData(Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 0"), Sentiment, Examples(3, 3, 3), 3, log.Add);
        Assert.Empty(log);
    }

    [Fact]
    public void A_validation_search_needs_a_validation_split()
    {
        var o = Parse("  search:\n    grid: {C: [1, 2]}\n    cv: 0");
        var e = Assert.Throws<InputException>(() => new LinearTrainer().CheckTrainingData(o, Sentiment, Examples(5, 5, 5), 0, null));
        Assert.Equal("linear.search", e.Field);
        Assert.Contains("validation split, which is empty", e.Reason);
    }
}
