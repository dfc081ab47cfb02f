using Classify.Core.Cleaning;
using Classify.Core.Labels;

namespace Classify.Core.Prediction;

/// <summary>A prediction for one text: the chosen labels and every label's probability.</summary>
/// <param name="Text">The input text as given (before cleaning).</param>
/// <param name="Labels">Predicted label names (one for binary/multiclass; zero or more for multilabel).</param>
/// <param name="Probabilities">Probability per label name, in schema order.</param>
public sealed record Prediction(string Text, IReadOnlyList<string> Labels, IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>The single predicted label (the first for multilabel; null when none).</summary>
    public string? Label => Labels.Count > 0 ? Labels[0] : null;
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

    /// <summary>The model's task and labels.</summary>
    public LabelSchema Schema { get; }

    /// <summary>The package manifest.</summary>
    public ModelManifest Manifest => _predictor.Manifest;

    /// <summary>Loads a model folder with the registered engines (see <see cref="ModelEngines"/>).</summary>
    public static TextClassifier Load(string directory) => new(ModelEngines.Load(directory));

    /// <summary>Loads a model folder without blocking the caller's thread.</summary>
    public static Task<TextClassifier> LoadAsync(string directory, CancellationToken cancellationToken = default) =>
        Task.Run(() => Load(directory), cancellationToken);

    /// <summary>Predicts one text.</summary>
    public Prediction Predict(string text) => Predict([text])[0];

    /// <summary>Predicts many texts, <paramref name="batchSize"/> at a time.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, int batchSize = 64, CancellationToken cancellationToken = default) =>
        Predict(texts.Select(t => new TextInput(t)).ToArray(), batchSize, cancellationToken);

    /// <summary>Predicts inputs with optional conversation context.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<TextInput> inputs, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        var probabilities = PredictProbabilities(inputs, batchSize, cancellationToken);
        var result = new Prediction[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) result[i] = ToPrediction(inputs[i].Text, probabilities[i]);
        return result;
    }

    /// <summary>Per-label probabilities (rows = inputs, columns = labels in schema order).</summary>
    public double[][] PredictProbabilities(IReadOnlyList<TextInput> inputs, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new double[inputs.Count][];
        for (int start = 0; start < inputs.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, inputs.Count - start);
            var batch = new TextInput[n];
            for (int i = 0; i < n; i++) batch[i] = Clean(inputs[start + i]);
            var probs = _predictor.PredictProbabilities(batch, cancellationToken);
            Array.Copy(probs, 0, result, start, n);
        }
        return result;
    }

    /// <summary>Applies the package's decision rule to one row of probabilities.</summary>
    public Prediction ToPrediction(string text, double[] probabilities)
    {
        var picked = DecisionRule.Apply(Schema, probabilities, Manifest.Thresholds);
        var map = new Dictionary<string, double>(Schema.Count);
        for (int k = 0; k < Schema.Count; k++) map[Schema.Labels[k]] = probabilities[k];
        return new Prediction(text, picked.Select(k => Schema.Labels[k]).ToArray(), map);
    }

    /// <summary>Cleans an input exactly as the training text was cleaned.</summary>
    public TextInput Clean(TextInput input) => _cleaner is null ? input
        : new TextInput(_cleaner.Clean(input.Text), input.Context?.Select(_cleaner.Clean).ToArray());

    /// <inheritdoc />
    public void Dispose() => _predictor.Dispose();
}
