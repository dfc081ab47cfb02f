using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;

namespace Classify.Linear.Engine;

/// <summary>
/// A TF-IDF + logistic-regression model package: <c>classify.json</c>, <c>tfidf_vectorizer.json</c>,
/// <c>logistic_regression.json</c> and <c>logistic_regression.safetensors</c>; with <c>linear.ensemble: k</c> also
/// <c>ensemble/member_000</c> … <c>ensemble/member_{k−1}</c>, each holding the two logistic-regression files of one
/// member (the members share the package's TF-IDF vectorizer).
/// </summary>
public sealed class LinearPredictor : IEnsemblePredictor
{
    /// <summary>The engine name in classify.json.</summary>
    public const string EngineName = "linear";

    /// <summary>The folder of a package that holds the ensemble members, one sub-folder each.</summary>
    public const string EnsembleDirectoryName = "ensemble";

    /// <summary>Wraps fitted parts.</summary>
    /// <param name="manifest">The package manifest.</param>
    /// <param name="vectorizer">The fitted vectorizer (shared by the members).</param>
    /// <param name="classifier">The deterministic model: every prediction is its.</param>
    /// <param name="members">Ensemble members (none, or at least 2) whose probabilities give the uncertainty.</param>
    /// <exception cref="InputException">The parts do not fit the manifest (see <see cref="CheckParts"/>).</exception>
    public LinearPredictor(ModelManifest manifest, TfidfVectorizer vectorizer, LogisticRegressionClassifier classifier,
        IReadOnlyList<LogisticRegressionClassifier>? members = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(vectorizer);
        ArgumentNullException.ThrowIfNull(classifier);
        CheckParts(manifest, vectorizer, classifier, directory: null);
        members ??= [];
        if (members.Count == 1) throw new ArgumentException("an ensemble needs at least 2 members", nameof(members));
        for (int i = 0; i < members.Count; i++) CheckMember(classifier, members[i], i, directory: null);
        Manifest = manifest;
        Vectorizer = vectorizer;
        Classifier = classifier;
        Members = members.ToArray();
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

    /// <summary>The ensemble members (empty without <c>linear.ensemble</c>): same mode, classes and features as <see cref="Classifier"/>.</summary>
    public IReadOnlyList<LogisticRegressionClassifier> Members { get; }

    /// <inheritdoc />
    public int MemberCount => Members.Count;

    /// <summary>The decision values of every member (<c>[member][row][label]</c>), over the shared TF-IDF features.</summary>
    public double[][][] PredictMemberScores(IReadOnlyList<TextInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Members.Count == 0) return [];
        var x = Vectorizer.Transform(inputs.Select(i => i.Text).ToArray());
        var scores = new double[Members.Count][][];
        for (int m = 0; m < scores.Length; m++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[m] = Members[m].DecisionFunction(x);
        }
        return scores;
    }

    /// <summary>The sub-folder of member <paramref name="index"/> in a package: <c>ensemble/member_007</c>.</summary>
    public static string MemberDirectory(string directory, int index) =>
        Path.Combine(directory, EnsembleDirectoryName, $"member_{index:D3}");

    /// <summary>Loads a package folder.</summary>
    /// <exception cref="InputException">A missing or malformed file, or parts that do not fit the manifest, naming the file and field.</exception>
    public static LinearPredictor Load(string directory, ModelManifest? manifest = null)
    {
        manifest ??= ModelManifest.Load(directory);
        if (manifest.Engine != EngineName) throw new InputException($"engine is '{manifest.Engine}', not '{EngineName}'", Path.Combine(directory, ModelManifest.FileName), field: "engine");
        var vectorizer = TfidfVectorizer.Load(directory);
        var classifier = LogisticRegressionClassifier.Load(directory);
        CheckParts(manifest, vectorizer, classifier, directory);
        var members = LoadMembers(directory, manifest, classifier);
        return new LinearPredictor(manifest, vectorizer, classifier, members);
    }

    /// <summary>
    /// The members under <c>ensemble/</c> (none when the folder is absent: packages written before ensembles load as
    /// they did): folders <c>member_000</c> … numbered without gaps, at least 2, as many as <c>engine_options.ensemble</c>
    /// says when the manifest says, each shaped like the final model.
    /// </summary>
    private static LogisticRegressionClassifier[] LoadMembers(string directory, ModelManifest manifest, LogisticRegressionClassifier classifier)
    {
        var root = Path.Combine(directory, EnsembleDirectoryName);
        var declared = manifest.EngineOptions?["ensemble"];
        int? expected = declared is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<int>(out var k) ? k : null;
        var manifestFile = Path.Combine(directory, ModelManifest.FileName);
        if (declared is not null && expected is null)
            throw new InputException($"engine_options.ensemble must be a whole number of members, found {declared.ToJsonString()}", manifestFile, field: "engine_options.ensemble");
        if (!Directory.Exists(root))
        {
            if (expected is > 0) throw new InputException($"engine_options.ensemble says {expected} members, but the package has no {EnsembleDirectoryName}/ folder", manifestFile, field: "engine_options.ensemble");
            return [];
        }
        int count = Directory.GetDirectories(root).Length;
        if (count < 2) throw new InputException($"an ensemble needs at least 2 members, found {count}", root);
        if (expected is { } e && e != count)
            throw new InputException($"engine_options.ensemble says {e} members, but {EnsembleDirectoryName}/ holds {count}", manifestFile, field: "engine_options.ensemble");
        var members = new LogisticRegressionClassifier[count];
        for (int i = 0; i < count; i++)
        {
            var folder = MemberDirectory(directory, i);
            if (!Directory.Exists(folder)) throw new InputException($"member folders must be numbered member_000 … member_{count - 1:D3} without gaps; this one is missing", folder);
            members[i] = LogisticRegressionClassifier.Load(folder);
            CheckMember(classifier, members[i], i, directory);
        }
        return members;
    }

    /// <summary>A member must have the final model's mode, classes and features, naming the member's file and field.</summary>
    private static void CheckMember(LogisticRegressionClassifier classifier, LogisticRegressionClassifier member, int index, string? directory)
    {
        string? file = directory is null ? null : Path.Combine(MemberDirectory(directory, index), LogisticRegressionClassifier.ConfigFileName);
        string which = $"ensemble member {index}";
        if (member.Mode != classifier.Mode)
            throw new InputException($"{which} has mode {ModeName(member.Mode)}, the model {ModeName(classifier.Mode)}", file, field: "mode");
        if (member.ClassCount != classifier.ClassCount)
            throw new InputException($"{which} has {member.ClassCount} classes, the model {classifier.ClassCount}", file, field: "n_classes");
        if (member.FeatureCount != classifier.FeatureCount)
            throw new InputException($"{which} takes {member.FeatureCount} features, the model and {TfidfVectorizer.FileName} {classifier.FeatureCount}", file, field: "n_features");
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
        for (int i = 0; i < Members.Count; i++) Members[i].Save(MemberDirectory(directory, i));
        (manifest ?? Manifest).Save(directory);
    }

    /// <inheritdoc />
    public ScoreLink Link => Classifier.Link;

    /// <summary>False: a linear model has no dropout (its epistemic uncertainty comes from its ensemble members, if any).</summary>
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
