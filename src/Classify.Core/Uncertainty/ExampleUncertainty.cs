using Classify.Core.Labels;

namespace Classify.Core.Uncertainty;

/// <summary>
/// The uncertainty of one multi-label decision (one label of one example), in nats: the Bernoulli entropies of that
/// label over the passes. <see cref="PredictiveEntropy"/> = <see cref="Aleatoric"/> + <see cref="Epistemic"/>.
/// </summary>
/// <param name="PredictiveEntropy">h(E[p]): the Bernoulli entropy of the label's mean probability.</param>
/// <param name="Aleatoric">E[h(p)]: the mean over passes of the label's Bernoulli entropy.</param>
/// <param name="Epistemic">h(E[p]) − E[h(p)]: the mutual information between the label and the passes, ≥ 0.</param>
public readonly record struct LabelUncertainty(double PredictiveEntropy, double Aleatoric, double Epistemic);

/// <summary>
/// The uncertainty of one example from N sets of probabilities for it (N Monte Carlo dropout passes, N ensemble
/// members, or N = 1 for a single deterministic model), computed by <see cref="UncertaintyCalculator"/>. Entropies are
/// in nats. Label indices follow the schema (binary tasks: two labels, the second the positive one).
/// </summary>
/// <remarks>
/// <para>Single-label tasks (binary, multiclass) use categorical entropies over the labels of a row; multi-label tasks
/// use one Bernoulli entropy per label (<see cref="PerLabel"/>), and the example's values are their sums over labels.
/// In both cases <see cref="PredictiveEntropy"/> = <see cref="Aleatoric"/> + <see cref="Epistemic"/> up to rounding
/// (and, per label, up to the clamp of rounding described on <see cref="Epistemic"/>).</para>
/// <para>The members map onto the JSON object <c>"uncertainty"</c> of a prediction (see <see cref="ToJsonFields"/>).</para>
/// </remarks>
public sealed class ExampleUncertainty
{
    private readonly double[] _meanProbabilities;
    private readonly double[] _standardDeviations;
    private readonly LabelUncertainty[]? _perLabel;

    internal ExampleUncertainty(TaskKind task, int passes, double[] meanProbabilities, double[] standardDeviations,
        double predictiveEntropy, double aleatoric, double epistemic, LabelUncertainty[]? perLabel)
    {
        Task = task;
        Passes = passes;
        _meanProbabilities = meanProbabilities;
        _standardDeviations = standardDeviations;
        PredictiveEntropy = predictiveEntropy;
        Aleatoric = aleatoric;
        Epistemic = epistemic;
        _perLabel = perLabel;
    }

    /// <summary>The task the probabilities came from: it decides categorical or Bernoulli entropies.</summary>
    public TaskKind Task { get; }

    /// <summary>N, the number of probability sets (passes or ensemble members) averaged.</summary>
    public int Passes { get; }

    /// <summary>E[p]: the mean probability of each label over the passes, in schema order.</summary>
    public IReadOnlyList<double> MeanProbabilities => _meanProbabilities;

    /// <summary>
    /// The population standard deviation of each label's probability over the passes, √(Σₙ (pₙ − E[p])² / N), in
    /// schema order; 0 when N = 1. (PyTorch's <c>Tensor.std()</c> divides by N − 1 instead: multiply by √(N / (N − 1)) to
    /// compare.)
    /// </summary>
    public IReadOnlyList<double> StandardDeviations => _standardDeviations;

    /// <summary>
    /// Total uncertainty, the entropy of the mean prediction: H(E[p]) for single-label tasks, Σⱼ h(E[pⱼ]) over the
    /// labels for multi-label tasks.
    /// </summary>
    public double PredictiveEntropy { get; }

    /// <summary>
    /// Aleatoric (data) uncertainty, the expected entropy E[H(p)] over the passes (multi-label: Σⱼ E[h(pⱼ)]). With one
    /// pass it equals <see cref="PredictiveEntropy"/>.
    /// </summary>
    public double Aleatoric { get; }

    /// <summary>
    /// Epistemic (model) uncertainty, the mutual information H(E[p]) − E[H(p)] between the prediction and the passes
    /// (multi-label: the sum of the per-label values). Non-negative by Jensen's inequality; a difference that rounding
    /// made negative by at most 1e-12 is reported as 0, and a larger negative one is left as computed (it would be a
    /// numerical problem to see, not to hide). 0 with one pass or with identical passes.
    /// </summary>
    public double Epistemic { get; }

    /// <summary>Multi-label tasks only: the Bernoulli uncertainty of each label, in schema order; <see langword="null"/> otherwise.</summary>
    public IReadOnlyList<LabelUncertainty>? PerLabel => _perLabel;

    /// <summary>The largest mean probability (the confidence of a single-label prediction).</summary>
    public double MaxProbability => _meanProbabilities.Length == 0 ? 0.0 : _meanProbabilities.Max();

    /// <summary>
    /// The fields of a prediction's <c>"uncertainty"</c> object, keyed as in the JSON and in this order:
    /// <c>predictive_entropy</c>, <c>aleatoric</c>, <c>epistemic</c>, <c>std</c> (<c>{"&lt;label&gt;": s}</c>) and, for
    /// multi-label tasks, <c>per_label</c> (<c>{"&lt;label&gt;": {"aleatoric": x, "epistemic": x}}</c>). Serialise it with
    /// <c>System.Text.Json</c> (for example <see cref="Prediction.PredictionJson.Options"/>).
    /// </summary>
    /// <param name="labels">The schema's label names, one per probability.</param>
    /// <exception cref="ArgumentException">The label count differs from the probability count.</exception>
    public IReadOnlyDictionary<string, object> ToJsonFields(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != _meanProbabilities.Length)
            throw new ArgumentException($"{labels.Count} label names for {_meanProbabilities.Length} probabilities.", nameof(labels));
        var std = new Dictionary<string, double>(labels.Count);
        for (int k = 0; k < labels.Count; k++) std[labels[k]] = _standardDeviations[k];
        var fields = new Dictionary<string, object>
        {
            ["predictive_entropy"] = PredictiveEntropy,
            ["aleatoric"] = Aleatoric,
            ["epistemic"] = Epistemic,
            ["std"] = std,
        };
        if (_perLabel != null)
        {
            var perLabel = new Dictionary<string, IReadOnlyDictionary<string, double>>(labels.Count);
            for (int k = 0; k < labels.Count; k++)
                perLabel[labels[k]] = new Dictionary<string, double> { ["aleatoric"] = _perLabel[k].Aleatoric, ["epistemic"] = _perLabel[k].Epistemic };
            fields["per_label"] = perLabel;
        }
        return fields;
    }
}
