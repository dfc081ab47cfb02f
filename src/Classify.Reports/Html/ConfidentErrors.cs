using Classify.Reports.RunData;

namespace Classify.Reports.Html;

/// <summary>A misclassified example and how sure the model was of its wrong answer.</summary>
/// <param name="Id">Example id.</param>
/// <param name="Text">Example text.</param>
/// <param name="Gold">Gold label(s) as written in the predictions file.</param>
/// <param name="Predicted">Predicted label(s).</param>
/// <param name="Confidence">Probability behind the wrong decision (see <see cref="ConfidentErrors"/>).</param>
/// <param name="WrongDecision">Which decision was wrong, e.g. "predicted joy" or "missed anger".</param>
internal sealed record ConfidentError(string Id, string Text, string Gold, string Predicted, double Confidence, string WrongDecision);

/// <summary>
/// The errors a model was most sure about — usually label noise or systematic confusions, the first thing to read.
/// Single-label: rows with pred ≠ gold ranked by the probability of the predicted label. Multi-label: rows whose
/// predicted set differs from the gold set, ranked by their most confident wrong decision (p for a label predicted
/// but not gold, 1 − p for a gold label that was missed).
/// </summary>
internal static class ConfidentErrors
{
    /// <summary>The <paramref name="top"/> most confident errors, most confident first (ties by row order).</summary>
    public static IReadOnlyList<ConfidentError> Find(PredictionTable p, int top = 20)
    {
        var errors = new List<(int Row, ConfidentError Error)>();
        for (int i = 0; i < p.Count; i++)
        {
            double best = -1;
            string decision = "";
            // Only gold or predicted labels can be wrong decisions.
            foreach (int j in p.GoldLabels[i].Concat(p.PredictedLabels[i]).Distinct().Order())
            {
                bool gold = p.IsGold(i, j), pred = p.IsPredicted(i, j);
                if (gold == pred) continue;
                double confidence = pred ? p.Probability(i, j) : 1 - p.Probability(i, j);
                if (!p.IsMultilabel && !pred) continue; // single-label: the wrong decision is the predicted label
                if (confidence > best)
                {
                    best = confidence;
                    decision = pred ? $"predicted {p.Labels[j]}" : $"missed {p.Labels[j]}";
                }
            }
            if (best >= 0) errors.Add((i, new ConfidentError(p.Ids[i], p.Texts[i], p.GoldText[i], p.PredText[i], best, decision)));
        }
        return errors.OrderByDescending(e => e.Error.Confidence).ThenBy(e => e.Row).Take(top).Select(e => e.Error).ToList();
    }
}
