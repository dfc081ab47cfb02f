using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.LogisticRegression;

/// <summary>liblinear's one-vs-rest objective recomputed from a fitted model, for comparison with the fixtures' optima.</summary>
internal static class LiblinearObjective
{
    /// <summary>
    /// Class <paramref name="k"/> against the rest: penalty of [w, b] (‖·‖₁ for l1, ½‖·‖² for l2; the bias penalised, as in
    /// liblinear) + C·Σᵢ log(1 + exp(−yᵢ·scoreᵢ)), from the model's decision values on <paramref name="x"/>.
    /// </summary>
    public static double OfClass(LogisticRegressionClassifier model, double[][] scores, int[] y, int k, double c, bool l1)
    {
        double loss = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double m = -(y[i] == k ? 1 : -1) * scores[i][k];
            loss += m > 0 ? m + Math.Log(1 + Math.Exp(-m)) : Math.Log(1 + Math.Exp(m));
        }
        var w = model.Coefficients[k].Append(model.Intercepts[k]).ToArray();
        double penalty = l1 ? w.Sum(Math.Abs) : 0.5 * w.Sum(v => v * v);
        return penalty + c * loss;
    }

    /// <summary><see cref="OfClass"/> with the decision values computed here.</summary>
    public static double OfClass(LogisticRegressionClassifier model, CsrMatrix x, int[] y, int k, double c, bool l1) =>
        OfClass(model, model.DecisionFunction(x), y, k, c, l1);
}
