using Classify.Core.Labels;

namespace Classify.Core.Prediction;

/// <summary>
/// How a model's raw scores (logits or decision values) become probabilities. Every predictor declares its link;
/// <see cref="LinkFunction"/> applies it, after dividing the scores by the manifest's temperature.
/// </summary>
public enum ScoreLink
{
    /// <summary>Softmax over the scores, one per label (multinomial models, single-label transformer heads).</summary>
    Softmax,
    /// <summary>An independent sigmoid per label (multi-label models).</summary>
    Sigmoid,
    /// <summary>
    /// One decision value for the second label of a binary task: probabilities [1 − σ(s), σ(s)] (scikit-learn's binary
    /// logistic regression).
    /// </summary>
    Logistic,
    /// <summary>A sigmoid per label, normalised to sum to 1 (scikit-learn's one-vs-rest logistic regression).</summary>
    OneVsRest,
}

/// <summary>
/// The one place where scores become probabilities: temperature first (scores / T, or for multi-label models
/// optionally scores / (T · Tₖ) per label), then the link. Computed in double
/// precision with the numerically stable forms (max-shifted softmax, two-sided sigmoid).
/// </summary>
public static class LinkFunction
{
    /// <summary>The link a head of this task uses when it has one score per label (transformer heads).</summary>
    public static ScoreLink ForTask(TaskKind task) => task == TaskKind.Multilabel ? ScoreLink.Sigmoid : ScoreLink.Softmax;

    /// <summary>Scores per row a model with this link produces for <paramref name="labelCount"/> labels.</summary>
    public static int ScoreCount(ScoreLink link, int labelCount) => link == ScoreLink.Logistic ? 1 : labelCount;

    /// <summary>Probabilities of one row of scores, one per label.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number.</exception>
    public static double[] Apply(ReadOnlySpan<double> scores, ScoreLink link, double temperature = 1.0) => Apply(scores, link, temperature, null);

    /// <summary>
    /// Probabilities of one row of scores, one per label, with per-label temperatures: label k's score is divided by
    /// <paramref name="temperature"/> × <paramref name="labelTemperatures"/>[k] (null: by <paramref name="temperature"/> alone).
    /// Only the sigmoid link (multi-label) takes per-label temperatures, because its labels are independent: under a
    /// softmax or a normalised link they would change which label is most probable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A temperature is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">Per-label temperatures for another link, or not one per score.</exception>
    public static double[] Apply(ReadOnlySpan<double> scores, ScoreLink link, double temperature, IReadOnlyList<double>? labelTemperatures)
    {
        CheckTemperature(temperature);
        if (labelTemperatures is not null)
        {
            if (link != ScoreLink.Sigmoid) throw new ArgumentException($"per-label temperatures apply to the sigmoid link (multi-label), not {link}", nameof(labelTemperatures));
            if (labelTemperatures.Count != scores.Length)
                throw new ArgumentException($"{labelTemperatures.Count} label temperatures for {scores.Length} scores", nameof(labelTemperatures));
            var p = new double[scores.Length];
            for (int k = 0; k < p.Length; k++)
            {
                CheckTemperature(labelTemperatures[k]);
                p[k] = Sigmoid(scores[k] / (temperature * labelTemperatures[k]));
            }
            return p;
        }
        switch (link)
        {
            case ScoreLink.Logistic:
            {
                if (scores.Length != 1) throw new ArgumentException($"a logistic link takes one score, got {scores.Length}", nameof(scores));
                double p1 = Sigmoid(scores[0] / temperature);
                return [1 - p1, p1];
            }
            case ScoreLink.Sigmoid:
            {
                var p = new double[scores.Length];
                for (int k = 0; k < p.Length; k++) p[k] = Sigmoid(scores[k] / temperature);
                return p;
            }
            case ScoreLink.OneVsRest:
            {
                var p = new double[scores.Length];
                double total = 0;
                for (int k = 0; k < p.Length; k++) total += p[k] = Sigmoid(scores[k] / temperature);
                for (int k = 0; k < p.Length; k++) p[k] /= total;
                return p;
            }
            case ScoreLink.Softmax:
            {
                var p = new double[scores.Length];
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < p.Length; k++) max = Math.Max(max, scores[k] / temperature);
                for (int k = 0; k < p.Length; k++) sum += p[k] = Math.Exp(scores[k] / temperature - max);
                for (int k = 0; k < p.Length; k++) p[k] /= sum;
                return p;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(link), link, "unknown link");
        }
    }

    /// <summary>Probabilities of many rows (a new array; <paramref name="scores"/> is left as it is).</summary>
    public static double[][] Apply(IReadOnlyList<double[]> scores, ScoreLink link, double temperature = 1.0) => Apply(scores, link, temperature, null);

    /// <summary>Probabilities of many rows with per-label temperatures (see <see cref="Apply(ReadOnlySpan{double}, ScoreLink, double, IReadOnlyList{double})"/>).</summary>
    public static double[][] Apply(IReadOnlyList<double[]> scores, ScoreLink link, double temperature, IReadOnlyList<double>? labelTemperatures)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var result = new double[scores.Count][];
        for (int i = 0; i < result.Length; i++) result[i] = Apply(scores[i], link, temperature, labelTemperatures);
        return result;
    }

    /// <summary>
    /// Probabilities of many rows as a model package defines them: its <c>temperature</c> and, when present, its
    /// <c>label_temperatures</c>. Every predictor's probabilities come from here.
    /// </summary>
    public static double[][] Apply(IReadOnlyList<double[]> scores, ScoreLink link, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Apply(scores, link, manifest.Temperature, manifest.LabelTemperatures);
    }

    /// <summary>σ(z), exact for large |z| (no overflow of exp on either side).</summary>
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>Throws unless <paramref name="temperature"/> is positive and finite.</summary>
    public static void CheckTemperature(double temperature)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a positive number");
    }
}
