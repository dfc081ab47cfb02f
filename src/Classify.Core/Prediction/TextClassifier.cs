using Classify.Core.Cleaning;
using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Uncertainty;

namespace Classify.Core.Prediction;

/// <summary>A prediction for one text: the chosen labels and every label's probability.</summary>
/// <param name="Text">The input text as given (before cleaning).</param>
/// <param name="Labels">Predicted label names (one for binary/multiclass; zero or more for multilabel; none when <see cref="Abstained"/>).</param>
/// <param name="Probabilities">Probability per label name, in schema order.</param>
public sealed record Prediction(string Text, IReadOnlyList<string> Labels, IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>The single predicted label (the first for multilabel; null when none).</summary>
    public string? Label => Labels.Count > 0 ? Labels[0] : null;

    /// <summary>
    /// The uncertainty of the prediction (the <c>"uncertainty"</c> object of <see cref="PredictionJson"/>): from
    /// Monte-Carlo dropout passes when asked for (<see cref="TextClassifier.Predict(IReadOnlyList{TextInput}, UncertaintyOptions, ulong, int, CancellationToken)"/>),
    /// otherwise from the deterministic probabilities (predictive entropy = aleatoric, epistemic 0, std 0). Null only
    /// for a prediction built without it.
    /// </summary>
    public ExampleUncertainty? Uncertainty { get; init; }

    /// <summary>
    /// True when the model's abstain rule (<see cref="ModelManifest.Abstain"/>) held the prediction back: its
    /// <see cref="Confidence"/> is under the rule's threshold, <see cref="Labels"/> is empty, and
    /// <see cref="Probabilities"/> are still given. Always false for a model without an abstain rule.
    /// </summary>
    public bool Abstained { get; init; }

    /// <summary>
    /// The confidence the abstain rule compared with its threshold (<see cref="AbstainRule.Score"/>), or null when no
    /// rule was applied (the model has none, or <see cref="TextClassifier.ApplyAbstention"/> is off). The JSON and CSV
    /// outputs have their <c>abstained</c> field exactly when this is set.
    /// </summary>
    public double? Confidence { get; init; }
}

/// <summary>
/// The one entry point for using a trained model: load a model package (or any supported checkpoint folder),
/// then predict. Applies the package's cleaning before the engine and its decision rules (thresholds) after.
/// <code>
/// using var clf = TextClassifier.Load("runs/tweets/model");
/// Prediction p = clf.Predict("So grateful for all the support today!");
/// </code>
/// </summary>
public sealed class TextClassifier : IDisposable
{
    private readonly IPredictor _predictor;
    private readonly TextCleaner? _cleaner;

    /// <summary>Wraps a loaded predictor.</summary>
    public TextClassifier(IPredictor predictor)
    {
        _predictor = predictor;
        Schema = predictor.Manifest.Schema;
        _cleaner = predictor.Manifest.Cleaning.Any ? new TextCleaner(predictor.Manifest.Cleaning) : null;
    }

    /// <summary>
    /// Whether predictions apply the package's abstain rule (<see cref="ModelManifest.Abstain"/>; default true). Off, every
    /// prediction gets the labels of the decision rule, as from a package without the rule (<c>predict --no-abstain</c>).
    /// </summary>
    public bool ApplyAbstention { get; set; } = true;

    /// <summary>The abstain rule predictions apply: the package's, or null when it has none or <see cref="ApplyAbstention"/> is off.</summary>
    public AbstainRule? ActiveAbstainRule => ApplyAbstention ? Manifest.Abstain : null;

    /// <summary>The model's task and labels.</summary>
    public LabelSchema Schema { get; }

    /// <summary>The package manifest.</summary>
    public ModelManifest Manifest => _predictor.Manifest;

    /// <summary>
    /// How to read a data file for this model: <paramref name="given"/> with the package's conversation settings
    /// (<see cref="ContextOptions.ApplyTo"/>): context turns, speaker tags and the training data's group, order and
    /// speaker columns where <paramref name="given"/> names none. Every file-scoring path reads through it, so a model
    /// trained with context is scored with the context it was trained on.
    /// </summary>
    public DatasetOptions ReadingOptions(DatasetOptions given) => Manifest.Context?.ApplyTo(given) ?? given;

    /// <summary>
    /// Loads a model: a local folder (a Classify package or a supported checkpoint folder) or any spec a registered
    /// <see cref="IModelSource"/> understands (hub id, <c>scratch:</c>), with the registered engines (see <see cref="ModelEngines"/>).
    /// </summary>
    public static TextClassifier Load(string model, ModelSourceOptions? options = null, CancellationToken cancellationToken = default) =>
        new(ModelEngines.Load(ModelSources.Resolve(model, options, cancellationToken)));

    /// <summary>Loads a model without blocking the caller's thread.</summary>
    public static Task<TextClassifier> LoadAsync(string model, ModelSourceOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(async () => new TextClassifier(ModelEngines.Load(await ModelSources.ResolveAsync(model, options, cancellationToken).ConfigureAwait(false))),
            cancellationToken);

    /// <summary>The engine's predictor (raw scores, link, dropout support).</summary>
    public IPredictor Predictor => _predictor;

    /// <summary>Predicts one text.</summary>
    public Prediction Predict(string text) => Predict([text])[0];

    /// <summary>Predicts many texts, <paramref name="batchSize"/> at a time.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, int batchSize = 64, CancellationToken cancellationToken = default) =>
        Predict(texts.Select(t => new TextInput(t)).ToArray(), batchSize, cancellationToken);

    /// <summary>Predicts inputs with optional conversation context.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<TextInput> inputs, int batchSize = 64, CancellationToken cancellationToken = default) =>
        Predict(inputs, UncertaintyOptions.SinglePass, 0, batchSize, cancellationToken);

    /// <summary>
    /// Predicts inputs and estimates each prediction's <see cref="Prediction.Uncertainty"/> from
    /// <see cref="UncertaintyOptions.McSamples"/> Monte-Carlo dropout passes (1: from the deterministic pass). Labels and
    /// probabilities are the deterministic pass's whatever the sample count; the passes are seeded by
    /// <paramref name="seed"/>, so the same seed gives the same values, however the rows are batched.
    /// </summary>
    /// <exception cref="NotSupportedException">More than one sample for a model without dropout (<see cref="UncertaintyOptions.PredictorProblem"/>).</exception>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<TextInput> inputs, UncertaintyOptions uncertainty, ulong seed, int batchSize = 64,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var probabilities = PredictProbabilities(inputs, batchSize, cancellationToken);
        var estimates = PredictUncertainty(inputs, probabilities, uncertainty, seed, cancellationToken);
        var result = new Prediction[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) result[i] = ToPrediction(inputs[i].Text, probabilities[i], estimates[i]);
        return result;
    }

    /// <summary>
    /// The uncertainty of each input (see <see cref="MonteCarloUncertainty.Estimate"/>), given its deterministic
    /// <paramref name="probabilities"/> (from <see cref="PredictProbabilities"/>). Inputs are cleaned like the training text.
    /// </summary>
    /// <exception cref="NotSupportedException">More than one sample for a model without dropout.</exception>
    public ExampleUncertainty[] PredictUncertainty(IReadOnlyList<TextInput> inputs, double[][] probabilities, UncertaintyOptions? uncertainty,
        ulong seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<TextInput> cleaned = _cleaner is null ? inputs : new CleanedInputs(inputs, this);
        return MonteCarloUncertainty.Estimate(_predictor, cleaned, probabilities, uncertainty, seed, cancellationToken: cancellationToken);
    }

    /// <summary>Per-label probabilities (rows = inputs, columns = labels in schema order).</summary>
    public double[][] PredictProbabilities(IReadOnlyList<TextInput> inputs, int batchSize = 64, CancellationToken cancellationToken = default) =>
        LinkFunction.Apply(PredictScores(inputs, batchSize, ForwardMode.Deterministic, null, cancellationToken), _predictor.Link, Manifest);

    /// <summary>
    /// Raw scores (before temperature and link) of cleaned inputs, <paramref name="batchSize"/> at a time; one
    /// stochastic pass when <paramref name="mode"/> asks for dropout.
    /// </summary>
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, int batchSize = 64, ForwardMode mode = default,
        IProgress<Training.ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        // Cleaned lazily, one batch at a time, so scoring a large list never holds a second copy of it.
        IReadOnlyList<TextInput> cleaned = _cleaner is null ? inputs : new CleanedInputs(inputs, this);
        return _predictor.PredictScores(cleaned, batchSize, mode, progress, "scoring", cancellationToken);
    }

    /// <summary>
    /// Applies the package's decision rule to one row of probabilities, then its abstain rule (<see cref="ActiveAbstainRule"/>):
    /// a prediction under the threshold is <see cref="Prediction.Abstained"/>, without labels. <paramref name="uncertainty"/>
    /// defaults to the row's single-pass uncertainty (predictive entropy = aleatoric, epistemic 0).
    /// </summary>
    public Prediction ToPrediction(string text, double[] probabilities, ExampleUncertainty? uncertainty = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var rule = ActiveAbstainRule;
        double? confidence = rule?.Confidence(Schema, probabilities, Manifest.Thresholds);
        bool abstained = confidence < rule?.Threshold;
        var picked = abstained ? [] : DecisionRule.Apply(Schema, probabilities, Manifest.Thresholds);
        var map = new Dictionary<string, double>(Schema.Count);
        for (int k = 0; k < Schema.Count; k++) map[Schema.Labels[k]] = probabilities[k];
        return new Prediction(text, picked.Select(k => Schema.Labels[k]).ToArray(), map)
        {
            Uncertainty = uncertainty ?? UncertaintyCalculator.ForExample([probabilities], Schema.Kind),
            Abstained = abstained,
            Confidence = confidence,
        };
    }

    /// <summary>Cleans an input exactly as the training text was cleaned.</summary>
    public TextInput Clean(TextInput input) => _cleaner is null ? input
        : new TextInput(_cleaner.Clean(input.Text), input.Context?.Select(_cleaner.Clean).ToArray());

    /// <inheritdoc />
    public void Dispose() => _predictor.Dispose();

    private sealed class CleanedInputs(IReadOnlyList<TextInput> inputs, TextClassifier owner) : IReadOnlyList<TextInput>
    {
        public TextInput this[int index] => owner.Clean(inputs[index]);
        public int Count => inputs.Count;
        public IEnumerator<TextInput> GetEnumerator() => inputs.Select(owner.Clean).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
