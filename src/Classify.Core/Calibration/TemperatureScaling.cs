using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;

namespace Classify.Core.Calibration;

/// <summary>The outcome of <see cref="TemperatureScaling.Fit"/>.</summary>
/// <param name="Temperature">The fitted temperature T &gt; 0 (scores are divided by it before the link).</param>
/// <param name="NllBefore">The NLL of the scores at T = 1.</param>
/// <param name="NllAfter">The NLL at <paramref name="Temperature"/> (never above <paramref name="NllBefore"/>).</param>
/// <param name="AtBound">
/// True when the minimum lies at <see cref="TemperatureScaling.MinTemperature"/> or <see cref="TemperatureScaling.MaxTemperature"/>:
/// the NLL kept falling towards the bound (for example validation data the model separates perfectly).
/// </param>
public sealed record TemperatureFit(double Temperature, double NllBefore, double NllAfter, bool AtBound);

/// <summary>The outcome of <see cref="TemperatureScaling.FitPerLabel"/>: one temperature per label of a multi-label model.</summary>
/// <param name="Temperatures">Label k's temperature, in schema order.</param>
/// <param name="Shared">The shared fit, which labels without both present and absent validation examples use.</param>
/// <param name="SharedLabels">Indices of the labels that use the shared temperature (no validation example has them, or all do).</param>
/// <param name="AtBoundLabels">Indices of the labels whose own fit reached the end of the searched range.</param>
/// <param name="NllBefore">The NLL over all labels at T = 1.</param>
/// <param name="NllAfter">The NLL over all labels at <paramref name="Temperatures"/>.</param>
public sealed record LabelTemperatureFit(IReadOnlyList<double> Temperatures, TemperatureFit Shared, IReadOnlyList<int> SharedLabels,
    IReadOnlyList<int> AtBoundLabels, double NllBefore, double NllAfter);

/// <summary>
/// Temperature scaling (Guo et al., 2017): the one T &gt; 0 minimising the NLL of a split's gold labels under
/// link(scores / T), where the link is the model's own (<see cref="LinkFunction"/>: softmax for multiclass, a sigmoid per
/// label for multi-label, shared by every label (or one per label: <see cref="FitPerLabel"/>), the logistic link of a binary decision value, or one-vs-rest). The NLL
/// is the <c>log_loss</c> of the metric files (<see cref="MetricReport.ComputeLogLoss"/>). Dividing every score of a
/// row by the same positive T keeps its order, so the most probable label never changes.
/// </summary>
/// <remarks>
/// The objective is evaluated through <see cref="LinkFunction"/>, the one place scores become probabilities, so there
/// is no second, hand-derived copy of each link to differentiate. It is searched in log T over
/// [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: a grid of <see cref="GridPoints"/> points finds the
/// lowest point (so a non-convex link such as normalised one-vs-rest sigmoids cannot trap the search in a far local
/// minimum), then golden-section search narrows the bracket around it to 1e-7 in log T. Every step is deterministic.
/// For softmax and sigmoid links the NLL is convex in 1/T, hence unimodal in log T, and the bracket holds the minimum.
/// </remarks>
public static class TemperatureScaling
{
    /// <summary>The smallest temperature searched.</summary>
    public const double MinTemperature = 0.01;
    /// <summary>The largest temperature searched.</summary>
    public const double MaxTemperature = 100;
    /// <summary>Points of the initial grid over log T.</summary>
    public const int GridPoints = 41;

    private const double Tolerance = 1e-7;
    private static readonly double InverseGoldenRatio = (Math.Sqrt(5) - 1) / 2;

    /// <summary>Fits one temperature on labelled scores.</summary>
    /// <param name="schema">Task and labels.</param>
    /// <param name="gold">Gold label indices per row (exactly one for single-label tasks).</param>
    /// <param name="scores">Raw scores per row, as <see cref="IPredictor.PredictScores"/> returns them.</param>
    /// <param name="link">The predictor's link.</param>
    /// <exception cref="ArgumentException">No rows, rows that do not match, or labels from which no temperature can be learnt (<see cref="FindProblem"/>).</exception>
    public static TemperatureFit Fit(LabelSchema schema, IReadOnlyList<int[]> gold, IReadOnlyList<double[]> scores, ScoreLink link)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(scores);
        if (FindProblem(schema, gold) is { } problem) throw new ArgumentException(problem, nameof(gold));
        if (scores.Count != gold.Count) throw new ArgumentException($"{gold.Count} gold rows but {scores.Count} score rows", nameof(scores));

        double Nll(double logT) => MetricReport.ComputeLogLoss(schema, gold, LinkFunction.Apply(scores, link, Math.Exp(logT)));

        double lo = Math.Log(MinTemperature), hi = Math.Log(MaxTemperature), step = (hi - lo) / (GridPoints - 1);
        int best = 0;
        var grid = new double[GridPoints];
        for (int i = 0; i < GridPoints; i++)
        {
            grid[i] = Nll(lo + i * step);
            if (grid[i] < grid[best]) best = i;
        }
        double a = lo + Math.Max(best - 1, 0) * step, b = lo + Math.Min(best + 1, GridPoints - 1) * step;
        double bestX = lo + best * step, bestF = grid[best];
        double c = b - InverseGoldenRatio * (b - a), d = a + InverseGoldenRatio * (b - a);
        double fc = Nll(c), fd = Nll(d);
        while (b - a > Tolerance)
        {
            if (fc <= fd)
            {
                b = d; d = c; fd = fc;
                c = b - InverseGoldenRatio * (b - a);
                fc = Nll(c);
            }
            else
            {
                a = c; c = d; fc = fd;
                d = a + InverseGoldenRatio * (b - a);
                fd = Nll(d);
            }
        }
        // The best point evaluated wins, so the result is never worse than the grid (nor than T = 1, a grid point).
        foreach (var (x, f) in new[] { (c, fc), (d, fd) })
            if (f < bestF) (bestX, bestF) = (x, f);
        double nllBefore = Nll(0);
        if (nllBefore <= bestF) (bestX, bestF) = (0, nllBefore);
        return new TemperatureFit(Math.Exp(bestX), nllBefore, bestF, AtBound: best == 0 || best == GridPoints - 1);
    }

    /// <summary>
    /// Fits one temperature per label of a multi-label model (sigmoid link): label k's own temperature minimises its
    /// binary NLL on its column of scores. A label that no validation example has, or that every example has, gives no
    /// information about its temperature and uses the shared one (<see cref="Fit"/> over all labels) instead.
    /// </summary>
    /// <exception cref="ArgumentException">Not a multi-label task with a sigmoid link, or labels from which no shared temperature can be learnt.</exception>
    public static LabelTemperatureFit FitPerLabel(LabelSchema schema, IReadOnlyList<int[]> gold, IReadOnlyList<double[]> scores, ScoreLink link)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!schema.IsMultilabel || link != ScoreLink.Sigmoid)
            throw new ArgumentException($"per-label temperatures need a multilabel task with a sigmoid link, not a {schema.Kind.ToName()} task with a {link} link", nameof(schema));
        var shared = Fit(schema, gold, scores, link);
        var temperatures = new double[schema.Count];
        var sharedLabels = new List<int>();
        var atBound = new List<int>();
        for (int k = 0; k < schema.Count; k++)
        {
            var label = new LabelSchema(TaskKind.Multilabel, [schema.Labels[k]]);
            int column = k;
            var labelGold = gold.Select(g => Array.IndexOf(g, column) >= 0 ? new[] { 0 } : []).ToArray();
            if (FindProblem(label, labelGold) is not null)
            {
                temperatures[k] = shared.Temperature;
                sharedLabels.Add(k);
                continue;
            }
            var fit = Fit(label, labelGold, scores.Select(row => new[] { row[column] }).ToArray(), ScoreLink.Sigmoid);
            temperatures[k] = fit.Temperature;
            if (fit.AtBound) atBound.Add(k);
        }
        double nllAfter = MetricReport.ComputeLogLoss(schema, gold, LinkFunction.Apply(scores, link, 1.0, temperatures));
        return new LabelTemperatureFit(temperatures, shared, sharedLabels, atBound, shared.NllBefore, nllAfter);
    }

    /// <summary>
    /// Why no temperature can be learnt from these gold labels, or null when one can: no rows; for single-label tasks
    /// every row has the same label (the NLL then falls without end as the model grows surer of it, or rises); for
    /// multi-label tasks no label is ever present, or every label always is.
    /// </summary>
    public static string? FindProblem(LabelSchema schema, IReadOnlyList<int[]> gold)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(gold);
        if (gold.Count == 0) return "temperature scaling needs labelled examples, and there are none";
        if (schema.IsMultilabel)
        {
            long present = gold.Sum(g => (long)g.Length), pairs = (long)gold.Count * schema.Count;
            if (present == 0) return $"none of the {gold.Count:N0} examples has a label; temperature scaling needs both present and absent labels";
            if (present == pairs) return $"all {gold.Count:N0} examples have every label; temperature scaling needs both present and absent labels";
            return null;
        }
        int first = gold[0].Length == 1 ? gold[0][0] : -1;
        if (gold.All(g => g.Length == 1 && g[0] == first))
            return $"all {gold.Count:N0} examples have the label '{schema.Labels[first]}'; temperature scaling needs examples of at least two labels";
        return null;
    }
}
