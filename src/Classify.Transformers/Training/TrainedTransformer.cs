using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Inference;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;

namespace Classify.Transformers.Training;

/// <summary>
/// A fine-tuned model held in memory: a predictor over it for the experiment's threshold tuning and evaluation, and
/// the package writer. Owns the model.
/// </summary>
internal sealed class TrainedTransformer : ITrainedModel
{
    private readonly SequenceClassificationModel _model;
    private readonly ClassifierInputs _inputs;
    private readonly TransformerPredictor _predictor;

    public TrainedTransformer(SequenceClassificationModel model, ClassifierInputs inputs, ModelManifest manifest)
    {
        _model = model;
        _inputs = inputs;
        _predictor = new TransformerPredictor(null, manifest, model, inputs, TransformerPredictorOptions.Default.BatchSize);
    }

    /// <inheritdoc />
    public IPredictor Predictor => _predictor;

    /// <summary>
    /// Writes the Hugging Face folder (<c>config.json</c> with <c>id2label</c>, <c>label2id</c> and <c>problem_type</c>;
    /// <c>model.safetensors</c>; the tokenizer files) and <c>classify.json</c> = <paramref name="manifest"/>.
    /// </summary>
    public void Save(string directory, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(manifest);
        _model.SavePretrained(directory);
        _inputs.Tokenizer.SaveTokenizerFiles(directory);
        manifest.Save(directory);
    }

    /// <inheritdoc />
    public void Dispose() => _predictor.Dispose();
}
