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

    /// <summary>Writes the package into <paramref name="directory"/> (each file atomically), with <paramref name="manifest"/> or this one's.</summary>
    public void Save(string directory, ModelManifest? manifest = null)
    {
        Directory.CreateDirectory(directory);
        Vectorizer.Save(directory);
        Classifier.Save(directory);
        (manifest ?? Manifest).Save(directory);
    }

    /// <inheritdoc />
    public ScoreLink Link => Classifier.Link;

    /// <summary>False: a linear model has no dropout (its uncertainty comes from ensembles).</summary>
    public bool SupportsDropout => false;

    /// <summary>Decision values xᵢ·w + b (sklearn <c>decision_function</c>): one column for a binary model, one per label otherwise.</summary>
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (mode.Dropout) throw new NotSupportedException("the linear engine has no dropout; Monte-Carlo dropout needs a transformer model");
        cancellationToken.ThrowIfCancellationRequested();
        var texts = new string[inputs.Count];
        for (int i = 0; i < texts.Length; i++) texts[i] = inputs[i].Text;
        return Classifier.DecisionFunction(Vectorizer.Transform(texts));
    }

    /// <inheritdoc />
    public void Dispose() { }
}

/// <summary>Loads linear model packages for <see cref="TextClassifier"/>.</summary>
public sealed class LinearEngine : IModelEngine
{
    /// <inheritdoc />
    public string Name => LinearPredictor.EngineName;

    /// <summary>Registers this engine (loading and training) with <see cref="ModelEngines"/>.</summary>
    public static void Register() => ModelEngines.Register(new LinearEngine());

    /// <inheritdoc />
    public bool CanLoad(string directory, ModelManifest? manifest) => manifest?.Engine == Name;

    /// <inheritdoc />
    public IPredictor Load(string directory, ModelManifest? manifest) => LinearPredictor.Load(directory, manifest);

    /// <inheritdoc />
    public Core.Training.IClassifierTrainer CreateTrainer() => new LinearTrainer();
}
