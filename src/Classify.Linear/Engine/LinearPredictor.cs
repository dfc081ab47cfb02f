using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;

namespace Classify.Linear.Engine;

/// <summary>
/// A TF-IDF + logistic-regression model package: <c>classify.json</c>, <c>tfidf_vectorizer.json</c>,
/// <c>logistic_regression.json</c> and <c>logistic_regression.safetensors</c>.
/// </summary>
public sealed class LinearPredictor : IPredictor
{
    /// <summary>The engine name in classify.json.</summary>
    public const string EngineName = "linear";

    /// <summary>Wraps fitted parts.</summary>
    public LinearPredictor(ModelManifest manifest, TfidfVectorizer vectorizer, LogisticRegressionClassifier classifier)
    {
        Manifest = manifest;
        Vectorizer = vectorizer;
        Classifier = classifier;
        Schema = manifest.Schema;
        int outputs = classifier.ClassCount;
        if (outputs != Schema.Count)
            throw new InvalidOperationException($"The classifier has {outputs} outputs but the manifest lists {Schema.Count} labels.");
    }

    /// <inheritdoc />
    public ModelManifest Manifest { get; }
    /// <summary>The label schema.</summary>
    public LabelSchema Schema { get; }
    /// <summary>The fitted vectorizer.</summary>
    public TfidfVectorizer Vectorizer { get; }
    /// <summary>The fitted classifier.</summary>
    public LogisticRegressionClassifier Classifier { get; }

    /// <summary>Loads a package folder.</summary>
    public static LinearPredictor Load(string directory, ModelManifest? manifest = null)
    {
        manifest ??= ModelManifest.Load(directory);
        if (manifest.Engine != EngineName) throw new InputException($"engine is '{manifest.Engine}', not '{EngineName}'", Path.Combine(directory, ModelManifest.FileName), field: "engine");
        return new LinearPredictor(manifest, TfidfVectorizer.Load(directory), LogisticRegressionClassifier.Load(directory));
    }

    /// <summary>Writes the package into <paramref name="directory"/> (each file atomically).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Vectorizer.Save(directory);
        Classifier.Save(directory);
        Manifest.Save(directory);
    }

    /// <inheritdoc />
    public double[][] PredictProbabilities(IReadOnlyList<TextInput> inputs, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var x = Vectorizer.Transform(inputs.Select(i => i.Text).ToArray());
        if (Manifest.Temperature == 1.0) return Classifier.PredictProbabilities(x);
        // Calibrated: scale the decision values by 1/T before the link function.
        var scores = Classifier.DecisionFunction(x);
        double t = Manifest.Temperature;
        foreach (var row in scores)
        {
            if (Schema.IsMultilabel || row.Length == 1) { for (int k = 0; k < row.Length; k++) row[k] = 1 / (1 + Math.Exp(-row[k] / t)); continue; }
            double max = row.Max(), sum = 0;
            for (int k = 0; k < row.Length; k++) { row[k] = Math.Exp((row[k] - max) / t); sum += row[k]; }
            for (int k = 0; k < row.Length; k++) row[k] /= sum;
        }
        return scores.Select(r => r.Length == 1 ? new[] { 1 - r[0], r[0] } : r).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() { }
}

/// <summary>Loads linear model packages for <see cref="TextClassifier"/>.</summary>
public sealed class LinearEngine : IModelEngine
{
    /// <inheritdoc />
    public string Name => LinearPredictor.EngineName;

    /// <summary>Registers this engine with <see cref="ModelEngines"/>.</summary>
    public static void Register() => ModelEngines.Register(new LinearEngine());

    /// <inheritdoc />
    public bool CanLoad(string directory, ModelManifest? manifest) => manifest?.Engine == Name;

    /// <inheritdoc />
    public IPredictor Load(string directory, ModelManifest? manifest) => LinearPredictor.Load(directory, manifest);
}
