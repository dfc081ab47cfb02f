using Classify.Core.Labels;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// The loss of a sequence-classification head, as transformers' <c>*ForSequenceClassification</c> computes it for its
/// <c>problem_type</c>, plus weighting: cross-entropy with optional class weights for binary/multi-class tasks
/// (<c>single_label_classification</c>), BCE-with-logits with optional per-label positive weights for multi-label
/// tasks (<c>multi_label_classification</c>). The loss is always computed in float32, also when the forward pass ran
/// in bfloat16. The one loss of Classify.Transformers: training, evaluation and the parity tests use it.
/// </summary>
/// <remarks>
/// With weights, the trainer's <c>eval_loss</c> is this weighted loss (what training minimises, as transformers
/// reports it), whereas the <c>log_loss</c> of the evaluation metrics is the plain, unweighted negative
/// log-likelihood of the probabilities; the two then differ even on the same predictions.
/// </remarks>
internal sealed class TrainingLoss : IDisposable
{
    /// <summary><c>problem_type</c> for one class index per example (cross-entropy).</summary>
    public const string SingleLabel = "single_label_classification";
    /// <summary><c>problem_type</c> for multi-hot targets (binary cross-entropy with logits).</summary>
    public const string MultiLabel = "multi_label_classification";

    private readonly Tensor? _weights;

    /// <summary>Creates the loss; <paramref name="weights"/> are class weights (single-label) or positive weights (multi-label).</summary>
    public TrainingLoss(LabelSchema schema, IReadOnlyList<double>? weights)
    {
        Schema = schema;
        Weights = weights?.ToArray();
        if (weights is not null) _weights = tensor(weights.Select(w => (float)w).ToArray());
    }

    /// <summary>The <c>problem_type</c> a config gets for <paramref name="schema"/>'s task.</summary>
    public static string ProblemType(LabelSchema schema) => schema.IsMultilabel ? MultiLabel : SingleLabel;

    /// <summary>Task and labels.</summary>
    public LabelSchema Schema { get; }

    /// <summary>The class or positive weights in label order, or null.</summary>
    public IReadOnlyList<double>? Weights { get; }

    /// <summary>The target tensor of a batch: class indices <c>[batch]</c> (int64) or multi-hot <c>[batch, labels]</c> (float32).</summary>
    public Tensor Targets(IReadOnlyList<int[]> labels, IReadOnlyList<int> batch)
    {
        if (!Schema.IsMultilabel) return tensor(batch.Select(i => (long)labels[i][0]).ToArray());
        var hot = new float[batch.Count * Schema.Count];
        for (int r = 0; r < batch.Count; r++)
            foreach (var c in labels[batch[r]]) hot[r * Schema.Count + c] = 1f;
        return tensor(hot, [batch.Count, Schema.Count]);
    }

    /// <summary>
    /// The mean loss of <paramref name="logits"/> against <paramref name="targets"/> (class indices, or multi-hot
    /// rows of any floating type). Weighted cross-entropy is the weighted mean, as torch's <c>cross_entropy</c>.
    /// </summary>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var x = logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32);
        var loss = Schema.IsMultilabel
            ? nn.functional.binary_cross_entropy_with_logits(x, targets.dtype == ScalarType.Float32 ? targets : targets.to_type(ScalarType.Float32),
                pos_weights: _weights)
            : nn.functional.cross_entropy(x.view(-1, x.shape[^1]), targets.view(-1), weight: _weights);
        return loss.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => _weights?.Dispose();
}
