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
    /// <exception cref="InputException">The parts do not fit the manifest (see <see cref="CheckParts"/>).</exception>
    public LinearPredictor(ModelManifest manifest, TfidfVectorizer vectorizer, LogisticRegressionClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(vectorizer);
        ArgumentNullException.ThrowIfNull(classifier);
        CheckParts(manifest, vectorizer, classifier, directory: null);
        Manifest = manifest;
        Vectorizer = vectorizer;
        Classifier = classifier;
        Schema = manifest.Schema;
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
    /// <exception cref="InputException">A missing or malformed file, or parts that do not fit the manifest, naming the file and field.</exception>
    public static LinearPredictor Load(string directory, ModelManifest? manifest = null)
    {
        manifest ??= ModelManifest.Load(directory);
        if (manifest.Engine != EngineName) throw new InputException($"engine is '{manifest.Engine}', not '{EngineName}'", Path.Combine(directory, ModelManifest.FileName), field: "engine");
        var vectorizer = TfidfVectorizer.Load(directory);
        var classifier = LogisticRegressionClassifier.Load(directory);
        CheckParts(manifest, vectorizer, classifier, directory);
        return new LinearPredictor(manifest, vectorizer, classifier);
    }

    /// <summary>
    /// Checks that a vectorizer and classifier belong to a manifest: as many classifier outputs as labels, a
    /// multi-label classifier exactly when the task is multilabel (a single-label model read as multi-label would
    /// threshold softmax probabilities and predict nothing), and as many classifier inputs as TF-IDF features.
    /// </summary>
    /// <param name="manifest">The package manifest (task and labels).</param>
    /// <param name="vectorizer">The fitted vectorizer.</param>
    /// <param name="classifier">The fitted classifier.</param>
    /// <param name="directory">The package folder, to name its files in the message (null for parts in memory).</param>
    /// <exception cref="InputException">The first mismatch, naming the file and field to look at.</exception>
    public static void CheckParts(ModelManifest manifest, TfidfVectorizer vectorizer, LogisticRegressionClassifier classifier, string? directory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(vectorizer);
        ArgumentNullException.ThrowIfNull(classifier);
        string? In(string file) => directory is null ? null : Path.Combine(directory, file);
        var manifestFile = In(ModelManifest.FileName);
        var schema = manifest.Schema;
        var mode = ModeName(classifier.Mode);
        if (classifier.ClassCount != schema.Count)
            throw new InputException($"{schema.Count} labels, but the classifier in {LogisticRegressionClassifier.ConfigFileName} has {classifier.ClassCount} " +
                                     $"{(classifier.Mode == LogisticRegressionMode.Multilabel ? "labels" : "classes")}", manifestFile, field: "labels");
        if (schema.IsMultilabel != (classifier.Mode == LogisticRegressionMode.Multilabel))
            throw new InputException(schema.IsMultilabel
                ? $"task is multilabel, but the classifier in {LogisticRegressionClassifier.ConfigFileName} was trained for a single-label task (mode {mode})"
                : $"task is {manifest.Task}, but the classifier in {LogisticRegressionClassifier.ConfigFileName} was trained for a multilabel task (mode {mode})",
                manifestFile, field: "task");
        if (classifier.FeatureCount != vectorizer.FeatureCount)
            throw new InputException($"the classifier takes {classifier.FeatureCount} features but {TfidfVectorizer.FileName} makes {vectorizer.FeatureCount}; " +
                                     "the two files come from different models", In(LogisticRegressionClassifier.ConfigFileName), field: "n_features");
    }

    private static string ModeName(LogisticRegressionMode mode) => mode switch
    {
        LogisticRegressionMode.Binary => "binary",
        LogisticRegressionMode.OneVsRest => "one-vs-rest",
        LogisticRegressionMode.Multinomial => "multinomial",
        _ => "multilabel",
    };

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
