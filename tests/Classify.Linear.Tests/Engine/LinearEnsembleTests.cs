using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;
using Classify.Linear.Engine;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;

namespace Classify.Linear.Tests.Engine;

/// <summary>
/// <c>linear.ensemble: k</c>: members fitted on bootstrap resamples are reproducible from the seed, differ from each
/// other, see every class, round-trip through the package (shapes checked on load) and give the uncertainty of
/// <see cref="MonteCarloUncertainty"/> (predictive = aleatoric + epistemic, epistemic above 0), never the predictions.
/// </summary>
public sealed class LinearEnsembleTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Names = ["negative", "neutral", "positive"];
    private static readonly LabelSchema Schema = new(TaskKind.Multiclass, Names);

    /// <summary>The first 600 rows of the real tweets training data (text, class index).</summary>
    private static readonly Lazy<(string[] Texts, int[] Classes)> Tweets = new(() =>
    {
        using var reader = CsvTable.Open(TestPaths.SharedData("tweet-sentiment-extraction", "train.csv"));
        var rows = reader.ReadAll().Take(600).ToArray();
        int text = reader.Columns.IndexOf("text"), sentiment = reader.Columns.IndexOf("sentiment");
        return (rows.Select(r => r[text]!).ToArray(), rows.Select(r => Array.IndexOf(Names, r[sentiment])).ToArray());
    });

    private static (TfidfVectorizer Vectorizer, LogisticRegressionClassifier Final, Sparse.CsrMatrix X, SearchTargets Y) FitFinal()
    {
        var (texts, classes) = Tweets.Value;
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions { SublinearTf = true });
        var x = vectorizer.FitTransform(texts);
        var final = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear });
        final.Fit(x, classes, classCount: 3);
        return (vectorizer, final, x, SearchTargets.SingleLabel(classes, 3));
    }

    private static ModelManifest Manifest(int members) => new()
    {
        Engine = LinearPredictor.EngineName, Task = Schema.Kind.ToName(), Labels = Schema.Labels,
        EngineOptions = members == 0 ? null : new JsonObject { ["ensemble"] = members },
    };

    private static LinearPredictor Ensemble(int k, ulong seed, int parallelism = 2)
    {
        var (vectorizer, final, x, y) = FitFinal();
        var members = LinearEnsemble.Fit(final, x, y, k, seed, parallelism, completed: null, CancellationToken.None);
        return new LinearPredictor(Manifest(k), vectorizer, final, members);
    }

    private static double[] Flat(LogisticRegressionClassifier c) => c.Coefficients.SelectMany(r => r).Concat(c.Intercepts).ToArray();

    [Fact]
    public void Members_are_reproducible_from_the_seed_whatever_the_parallelism_and_differ_from_each_other()
    {
        var a = Ensemble(4, seed: 11, parallelism: 2);
        var b = Ensemble(4, seed: 11, parallelism: 1);
        var c = Ensemble(4, seed: 12);
        for (int m = 0; m < 4; m++) Assert.Equal(Flat(a.Members[m]), Flat(b.Members[m]));
        Assert.NotEqual(Flat(a.Members[0]), Flat(c.Members[0]));
        for (int m = 1; m < 4; m++) Assert.NotEqual(Flat(a.Members[0]), Flat(a.Members[m]));
        Assert.All(a.Members, member => Assert.NotEqual(Flat(a.Classifier), Flat(member)));
    }

    [Fact]
    public void A_bootstrap_resample_holds_every_class_of_the_training_split()
    {
        // Class 2 has one row in 200: most draws of 200 with replacement miss it (P ≈ 0.37 each), so some seed below does.
        var classes = Enumerable.Range(0, 200).Select(i => i == 123 ? 2 : i % 2).ToArray();
        var targets = SearchTargets.SingleLabel(classes, 3);
        for (int member = 0; member < 20; member++)
        {
            var rows = LinearEnsemble.BootstrapRows(targets, 5, member);
            Assert.InRange(rows.Length, 200, 201);
            Assert.Contains(123, rows);
            Assert.Contains(rows, r => classes[r] == 0);
        }
        Assert.Contains(Enumerable.Range(0, 20), m => LinearEnsemble.BootstrapRows(targets, 5, m).Length == 201);   // the top-up happened
        var multilabel = SearchTargets.Multilabel(Enumerable.Range(0, 100).Select(i => i == 7 ? new[] { 0, 2 } : new[] { i % 2 }).ToArray(), 3);
        for (int member = 0; member < 10; member++)
            Assert.Contains(LinearEnsemble.BootstrapRows(multilabel, 5, member), r => r == 7);
    }

    [Fact]
    public void Members_give_epistemic_uncertainty_and_leave_predictions_alone()
    {
        var ensemble = Ensemble(5, seed: 3);
        var single = new LinearPredictor(Manifest(0), ensemble.Vectorizer, ensemble.Classifier);
        var inputs = Tweets.Value.Texts.Take(100).Select(t => new TextInput(t)).ToArray();
        var p = single.PredictProbabilities(inputs);
        Assert.Equal(p, ensemble.PredictProbabilities(inputs));

        var u = MonteCarloUncertainty.Estimate(ensemble, inputs, p, options: null, seed: 0);
        Assert.All(u, e => Assert.Equal(e.PredictiveEntropy, e.Aleatoric + e.Epistemic, 12));
        Assert.All(u, e => Assert.True(e.Epistemic >= 0));
        Assert.True(u.Average(e => e.Epistemic) > 1e-4, $"mean epistemic {u.Average(e => e.Epistemic)}");
        Assert.Equal(u.Select(e => e.Epistemic), MonteCarloUncertainty.Estimate(ensemble, inputs, p, options: null, seed: 99).Select(e => e.Epistemic));   // no seed involved
        Assert.All(MonteCarloUncertainty.Estimate(single, inputs, p, options: null, seed: 0), e => Assert.Equal(0.0, e.Epistemic));

        Assert.Null(UncertaintyOptions.SinglePass.PredictorProblem(ensemble));
        Assert.Contains("ensemble", new UncertaintyOptions { McSamples = 4 }.PredictorProblem(ensemble));
    }

    [Fact]
    public void A_multilabel_ensemble_gives_per_label_epistemic_uncertainty()
    {
        var (texts, classes) = Tweets.Value;
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions { SublinearTf = true });
        var x = vectorizer.FitTransform(texts);
        // Two labels per row for a third of the rows, so that the sets really overlap.
        var sets = classes.Select((c, i) => i % 3 == 0 ? new[] { c, (c + 1) % 3 }.Order().ToArray() : [c]).ToArray();
        var final = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear });
        var targets = SearchTargets.Multilabel(sets, 3);
        ((ISearchEstimator)final).Fit(x, targets, CancellationToken.None);
        var members = LinearEnsemble.Fit(final, x, targets, 4, 9, 2, completed: null, CancellationToken.None);
        var schema = new LabelSchema(TaskKind.Multilabel, Names);
        var manifest = new ModelManifest { Engine = LinearPredictor.EngineName, Task = schema.Kind.ToName(), Labels = schema.Labels };
        var ensemble = new LinearPredictor(manifest, vectorizer, final, members);
        var inputs = texts.Take(50).Select(t => new TextInput(t)).ToArray();
        var u = MonteCarloUncertainty.Estimate(ensemble, inputs, ensemble.PredictProbabilities(inputs), options: null, seed: 0);
        Assert.All(u, e => Assert.Equal(e.PredictiveEntropy, e.Aleatoric + e.Epistemic, 12));
        Assert.All(u, e => Assert.Equal(3, e.PerLabel!.Count));
        Assert.True(u.Average(e => e.Epistemic) > 1e-4, $"mean epistemic {u.Average(e => e.Epistemic)}");
    }

    [Fact]
    public void The_package_round_trips_its_members_and_old_packages_load_without()
    {
        var ensemble = Ensemble(3, seed: 1);
        ensemble.Save(_dir);
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(_dir, LinearPredictor.EnsembleDirectoryName)).Length);
        using var loaded = LinearPredictor.Load(_dir);
        Assert.Equal(3, loaded.MemberCount);
        var inputs = new[] { new TextInput("what a lovely day"), new TextInput("I hate mondays") };
        Assert.Equal(ensemble.PredictMemberScores(inputs), loaded.PredictMemberScores(inputs));

        var old = Path.Combine(_dir, "old");
        new LinearPredictor(Manifest(0), ensemble.Vectorizer, ensemble.Classifier).Save(old);
        Assert.False(Directory.Exists(Path.Combine(old, LinearPredictor.EnsembleDirectoryName)));
        Assert.Equal(0, LinearPredictor.Load(old).MemberCount);
    }

    [Fact]
    public void A_member_that_does_not_fit_the_model_is_refused_on_load_naming_the_file_and_field()
    {
        Ensemble(3, seed: 1).Save(_dir);
        // Member 1 replaced by the classifier of another model (50 features instead of the package's).
        var (texts, classes) = Tweets.Value;
        var other = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear });
        other.Fit(new TfidfVectorizer(new TfidfVectorizerOptions { MaxFeatures = 50 }).FitTransform(texts), classes, classCount: 3);
        other.Save(LinearPredictor.MemberDirectory(_dir, 1));
        var config = Path.Combine(LinearPredictor.MemberDirectory(_dir, 1), LogisticRegressionClassifier.ConfigFileName);
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal(config, e.File);
        Assert.Equal("n_features", e.Field);
        Assert.Contains("ensemble member 1 takes 50 features", e.Reason);

        Directory.Delete(LinearPredictor.MemberDirectory(_dir, 1), recursive: true);
        e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal("engine_options.ensemble", e.Field);
        Assert.Contains("says 3 members", e.Reason);
    }

    private static InputException EnsembleError(string dir, string value)
    {
        var path = Path.Combine(dir, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"name: t\ndata:\n  path: data.csv\nengine: linear\nlinear:\n  tfidf: {{min_df: 1}}\n  ensemble: {value}\n");
        var config = ExperimentConfig.Load(path);
        var e = Assert.Throws<InputException>(() => new LinearTrainer().ParseOptions(config.EngineSection(), Schema));
        Assert.Equal(path, e.File);
        Assert.Equal(7, e.Line);
        Assert.Equal("linear.ensemble", e.Field);
        return e;
    }

    [Theory]
    [InlineData("0", "from 2 to 100")]
    [InlineData("1", "leave the key out")]
    [InlineData("-3", "from 2 to 100")]
    [InlineData("101", "from 2 to 100")]
    [InlineData("1000", "from 2 to 100")]
    [InlineData("2.5", "whole number")]
    [InlineData("many", "number")]
    [InlineData("true", "number")]
    public void A_bad_ensemble_size_names_the_file_line_and_key(string value, string mention) =>
        Assert.Contains(mention, EnsembleError(_dir, value).Reason);

    [Fact]
    public void The_ensemble_key_parses_and_defaults_to_none()
    {
        var path = Path.Combine(_dir, "ok.yaml");
        File.WriteAllText(path, "name: t\ndata:\n  path: data.csv\nengine: linear\nlinear:\n  ensemble: 100\n");
        Assert.Equal(100, ((LinearOptions)new LinearTrainer().ParseOptions(ExperimentConfig.Load(path).EngineSection(), Schema)).Ensemble);
        File.WriteAllText(path, "name: t\ndata:\n  path: data.csv\nengine: linear\nlinear:\n  tfidf: {min_df: 1}\n");
        Assert.Equal(0, ((LinearOptions)new LinearTrainer().ParseOptions(ExperimentConfig.Load(path).EngineSection(), Schema)).Ensemble);
    }
}
