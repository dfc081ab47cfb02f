using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Linear.Engine;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;

namespace Classify.Linear.Tests.Engine;

/// <summary>
/// A linear package whose parts do not fit its manifest (a hand-edited <c>classify.json</c>, files from two models) is
/// refused on load with an <see cref="InputException"/> naming the file and field, not used to predict nonsense.
/// </summary>
public sealed class LinearPackageTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Texts =
    [
        "I love this so much", "what a great day", "happy and grateful", "this is wonderful",
        "I hate this", "what an awful day", "sad and angry", "this is terrible",
        "it is a chair", "the bus leaves at nine", "a table and a lamp", "the meeting is on monday",
    ];
    private static readonly int[] Classes = [2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1];
    private static readonly string[] Names = ["negative", "neutral", "positive"];

    /// <summary>A multiclass (one-vs-rest) or multilabel package saved in the test folder.</summary>
    private string SavePackage(bool multilabel = false, string? folder = null)
    {
        var dir = folder ?? _dir;
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions());
        var x = vectorizer.FitTransform(Texts);
        var classifier = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear });
        if (multilabel) classifier.Fit(x, Classes.Select(c => Enumerable.Range(0, 3).Select(k => k == c).ToArray()).ToArray());
        else classifier.Fit(x, Classes, classCount: 3);
        var schema = new LabelSchema(multilabel ? TaskKind.Multilabel : TaskKind.Multiclass, Names);
        var manifest = new ModelManifest { Engine = LinearPredictor.EngineName, Task = schema.Kind.ToName(), Labels = schema.Labels };
        new LinearPredictor(manifest, vectorizer, classifier).Save(dir);
        return dir;
    }

    private string ManifestPath => Path.Combine(_dir, ModelManifest.FileName);

    private void EditManifest(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        edit(json);
        File.WriteAllText(ManifestPath, json.ToJsonString());
    }

    [Fact]
    public void A_valid_package_loads_and_predicts()
    {
        SavePackage();
        using var predictor = LinearPredictor.Load(_dir);
        var p = predictor.PredictProbabilities(["what a wonderful day"])[0];
        Assert.Equal(3, p.Length);
        Assert.Equal(2, DecisionRule.ArgMax(p));
    }

    [Fact]
    public void A_multiclass_model_relabelled_multilabel_is_refused_naming_task()
    {
        // Before: softmax-like probabilities thresholded at 0.5 per label predicted [] for most texts.
        SavePackage();
        EditManifest(j => j["task"] = "multilabel");
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal(ManifestPath, e.File);
        Assert.Equal("task", e.Field);
        Assert.Contains("single-label", e.Reason);
    }

    [Fact]
    public void A_multilabel_model_relabelled_multiclass_is_refused_naming_task()
    {
        SavePackage(multilabel: true);
        EditManifest(j => j["task"] = "multiclass");
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal("task", e.Field);
        Assert.Contains("multilabel", e.Reason);
    }

    [Fact]
    public void A_label_count_the_classifier_does_not_have_is_refused_naming_labels()
    {
        SavePackage();
        EditManifest(j => j["labels"] = new JsonArray("a", "b", "c", "d"));
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal(ManifestPath, e.File);
        Assert.Equal("labels", e.Field);
        Assert.Contains("4 labels", e.Reason);
        Assert.Contains("3 classes", e.Reason);
    }

    [Fact]
    public void A_vectorizer_from_another_model_is_refused()
    {
        SavePackage();
        var other = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions { NgramRange = new NgramRange(1, 2) });
        vectorizer.Fit(Texts);
        vectorizer.Save(other);
        File.Copy(Path.Combine(other, TfidfVectorizer.FileName), Path.Combine(_dir, TfidfVectorizer.FileName), overwrite: true);
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal(Path.Combine(_dir, LogisticRegressionClassifier.ConfigFileName), e.File);
        Assert.Equal("n_features", e.Field);
    }

    [Fact]
    public void A_tampered_manifest_is_refused_before_the_engine_files_are_read()
    {
        SavePackage();
        EditManifest(j => j["temperature"] = -1);
        var e = Assert.Throws<InputException>(() => LinearPredictor.Load(_dir));
        Assert.Equal("temperature", e.Field);
    }

    [Fact]
    public void Parts_that_do_not_fit_a_manifest_in_memory_are_an_input_error_too()
    {
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions());
        var x = vectorizer.FitTransform(Texts);
        var classifier = new LogisticRegressionClassifier().Fit(x, Classes, classCount: 3);
        var manifest = new ModelManifest { Engine = "linear", Task = "multilabel", Labels = Names };
        var e = Assert.Throws<InputException>(() => new LinearPredictor(manifest, vectorizer, classifier));
        Assert.Equal("task", e.Field);
    }
}
