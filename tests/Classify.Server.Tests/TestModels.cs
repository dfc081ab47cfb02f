using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Linear.Engine;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;
using Classify.Onnx.Export;

namespace Classify.Server.Tests;

/// <summary>
/// The packages the tests serve, made once per test run in a temp folder: a linear tweet-sentiment model trained here on
/// 3,000 tweets of the shared data (TF-IDF 1–2-grams + logistic regression), the same with an abstain rule, and an ONNX
/// package exported from the tiny-bert fixture (no TorchSharp anywhere).
/// </summary>
internal static class TestModels
{
    private static readonly string Root = TestPaths.NewTempDirectory("classify-server-tests-");
    private static readonly Lazy<string> Linear = new(() => TrainLinear(Path.Combine(Root, "tweets"), abstain: null));
    private static readonly Lazy<string> LinearAbstain = new(() => TrainLinear(Path.Combine(Root, "tweets-abstain"), abstain: 0.6));
    private static readonly Lazy<string> Onnx = new(() =>
    {
        var dir = Path.Combine(Root, "tiny-bert-onnx");
        OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), dir);
        return dir;
    });
    private static readonly Lazy<string> OnnxMc = new(() =>
    {
        var dir = Path.Combine(Root, "tiny-bert-onnx-mc");
        OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), dir, new OnnxExportOptions { McDropout = true });
        return dir;
    });
    private static readonly Lock Gate = new();

    /// <summary>The linear tweet model (negative, neutral, positive).</summary>
    public static string LinearTweets { get { lock (Gate) return Linear.Value; } }

    /// <summary>The linear tweet model with an abstain rule (max probability under 0.6 abstains).</summary>
    public static string LinearTweetsAbstain { get { lock (Gate) return LinearAbstain.Value; } }

    /// <summary>The ONNX package of the tiny-bert fixture.</summary>
    public static string OnnxTinyBert { get { lock (Gate) return Onnx.Value; } }

    /// <summary>The ONNX package of the tiny-bert fixture exported with switchable dropout (<c>--mc-dropout</c>).</summary>
    public static string OnnxTinyBertMcDropout { get { lock (Gate) return OnnxMc.Value; } }

    /// <summary>The package loaded as the server loads it (linear or onnx engine), for comparing with scoring alone.</summary>
    public static ServedModel Alone(string directory) => ServedModel.Load(new ModelSpec("alone", directory));

    /// <summary>Some tweets of the test file (not used for training).</summary>
    public static IReadOnlyList<string> SampleTexts(int count) =>
        DatasetLoader.Load(TestPaths.SharedData("tweet-sentiment-extraction", "test.csv"), new DatasetOptions { TextColumn = "text", LabelColumn = "sentiment" })
            .Examples.Take(count).Select(e => e.Text).ToArray();

    private static string TrainLinear(string dir, double? abstain)
    {
        var data = DatasetLoader.Load(TestPaths.SharedData("tweet-sentiment-extraction", "train.csv"),
            new DatasetOptions { TextColumn = "text", LabelColumn = "sentiment" });
        var examples = data.Examples.Take(3000).ToArray();
        var vectorizer = new TfidfVectorizer(new TfidfVectorizerOptions { NgramRange = new NgramRange(1, 2), SublinearTf = true });
        var x = vectorizer.FitTransform(examples.Select(e => e.Text).ToArray());
        var classifier = new LogisticRegressionClassifier(new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear });
        classifier.Fit(x, examples.Select(e => e.Label).ToArray(), classCount: data.Schema.Count);
        var manifest = new ModelManifest
        {
            Engine = LinearPredictor.EngineName, Task = data.Schema.Kind.ToName(), Labels = data.Schema.Labels,
            Abstain = abstain is { } t ? new AbstainRule { Threshold = t, Coverage = 0.8 } : null,
        };
        new LinearPredictor(manifest, vectorizer, classifier).Save(dir);
        return dir;
    }
}
