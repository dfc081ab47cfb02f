using Classify.Reports.RunData;

namespace Classify.Reports.Html;

/// <summary>An example and its uncertainty (nats).</summary>
internal sealed record UncertainExample(int Row, string Id, string Text, string Gold, string Predicted, double PredictiveEntropy, double Aleatoric, double Epistemic);

/// <summary>
/// The examples a model is least sure about: ranked by epistemic uncertainty when the run sampled several passes
/// (what more training data would fix, the active-learning order), else by predictive entropy; ties by the other
/// quantity, then row order.
/// </summary>
internal static class MostUncertain
{
    /// <summary>The <paramref name="top"/> most uncertain examples, most uncertain first; empty without uncertainty columns.</summary>
    public static IReadOnlyList<UncertainExample> Find(PredictionTable p, int top)
    {
        if (p.Uncertainty is not { } u) return [];
        bool byEpistemic = !u.SinglePass;
        return Enumerable.Range(0, p.Count)
            .OrderByDescending(i => byEpistemic ? u.Epistemic[i] : u.PredictiveEntropy[i])
            .ThenByDescending(i => byEpistemic ? u.PredictiveEntropy[i] : u.Epistemic[i])
            .ThenBy(i => i)
            .Take(top)
            .Select(i => new UncertainExample(i, p.Ids[i], p.Texts[i], p.GoldText[i], p.PredText[i], u.PredictiveEntropy[i], u.Aleatoric[i], u.Epistemic[i]))
            .ToList();
    }
}
