using Classify.Core.Labels;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// The training objective: cross-entropy with optional class weights for binary/multi-class tasks, BCE-with-logits
/// with optional per-label positive weights for multi-label tasks (HF's <c>problem_type</c> losses plus weighting).
/// The loss is always computed in float32, also when the forward pass ran in bfloat16.
/// </summary>
public sealed class TrainingLoss : IDisposable
{
    private readonly Tensor? _weights;

    /// <summary>Creates the loss; <paramref name="weights"/> are class weights (single-label) or positive weights (multi-label).</summary>
    public TrainingLoss(LabelSchema schema, IReadOnlyList<double>? weights)
    {
        Schema = schema;
        Weights = weights?.ToArray();
        if (weights is not null) _weights = tensor(weights.Select(w => (float)w).ToArray());
    }

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

    /// <summary>The mean loss of <paramref name="logits"/> against <paramref name="targets"/>.</summary>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var x = logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32);
        var loss = Schema.IsMultilabel
            ? nn.functional.binary_cross_entropy_with_logits(x, targets, pos_weights: _weights)
            : nn.functional.cross_entropy(x, targets, weight: _weights);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Probabilities of logits: softmax for single-label tasks, sigmoid for multi-label.</summary>
    public Tensor Probabilities(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var x = logits.to_type(ScalarType.Float64);
        return (Schema.IsMultilabel ? x.sigmoid() : x.softmax(-1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => _weights?.Dispose();
}
