using Classify.Core.Uncertainty;

namespace Classify.Reports.RunData;

/// <summary>
/// The uncertainty columns of a predictions file (<see cref="UncertaintyColumns"/>): per row the predictive entropy,
/// aleatoric and epistemic parts (nats), and, when the file has them, per label the std over the passes and, for
/// multi-label tasks, the label's aleatoric and epistemic parts. Per-label arrays are rows × labels, row-major.
/// </summary>
internal sealed class UncertaintyTable
{
    /// <summary>Creates the table; per-label arrays are null when the file lacks those columns.</summary>
    public UncertaintyTable(double[] predictiveEntropy, double[] aleatoric, double[] epistemic, double[]? std, double[]? labelAleatoric, double[]? labelEpistemic)
    {
        PredictiveEntropy = predictiveEntropy;
        Aleatoric = aleatoric;
        Epistemic = epistemic;
        Std = std;
        LabelAleatoric = labelAleatoric;
        LabelEpistemic = labelEpistemic;
    }

    /// <summary>Predictive entropy per row.</summary>
    public double[] PredictiveEntropy { get; }
    /// <summary>Aleatoric part per row.</summary>
    public double[] Aleatoric { get; }
    /// <summary>Epistemic part per row.</summary>
    public double[] Epistemic { get; }
    /// <summary>std_&lt;label&gt; (rows × labels), or null.</summary>
    public double[]? Std { get; }
    /// <summary>aleatoric_&lt;label&gt; (rows × labels, multi-label), or null.</summary>
    public double[]? LabelAleatoric { get; }
    /// <summary>epistemic_&lt;label&gt; (rows × labels, multi-label), or null.</summary>
    public double[]? LabelEpistemic { get; }

    /// <summary>
    /// True when every epistemic value is 0: the run took one deterministic pass (a linear model, or no MC dropout),
    /// so epistemic rankings and charts carry no information.
    /// </summary>
    public bool SinglePass => Array.TrueForAll(Epistemic, e => e == 0);

    /// <summary>One label's column of a rows × labels array.</summary>
    public static double[] Column(double[] values, int labelCount, int k)
    {
        var column = new double[values.Length / labelCount];
        for (int i = 0; i < column.Length; i++) column[i] = values[i * labelCount + k];
        return column;
    }
}
