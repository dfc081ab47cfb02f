using System.Globalization;
using System.Text.Json.Serialization;
using Classify.Core.Labels;
using Classify.Core.Uncertainty;

namespace Classify.Core.Prediction;

/// <summary>
/// Selective prediction: the <c>abstain</c> object of <c>classify.json</c>. A prediction whose confidence
/// (<see cref="Score"/>) is under <see cref="Threshold"/> is abstained (no labels; its probabilities
/// are still given). The threshold was chosen on the validation split for the target the training config set
/// (<c>decision.abstain</c>: <see cref="Coverage"/> or <see cref="TargetAccuracy"/>); see docs/uncertainty.md.
/// </summary>
public sealed record AbstainRule
{
    /// <summary>Confidence score: the largest probability (single-label), the least sure label decision (multi-label); see <see cref="Confidence(string, LabelSchema, ReadOnlySpan{double}, IReadOnlyList{double}?)"/>.</summary>
    public const string MaxProbabilityScore = "max_probability";
    /// <summary>Confidence score: the decision's distance from flipping, <see cref="ActiveLearning.Margin"/> (as <c>suggest --strategy margin</c>).</summary>
    public const string MarginScore = "margin";
    /// <summary>Every confidence score this build applies.</summary>
    public static IReadOnlyList<string> Scores { get; } = [MaxProbabilityScore, MarginScore];

    /// <summary>
    /// The score used when the config names none: <see cref="MaxProbabilityScore"/> for single-label tasks,
    /// <see cref="MarginScore"/> for multi-label ones (it knows the tuned thresholds, and on GoEmotions keeps more right
    /// label sets at 50 % and 90 % coverage; docs/uncertainty.md).
    /// </summary>
    public static string DefaultScore(TaskKind task) => task == TaskKind.Multilabel ? MarginScore : MaxProbabilityScore;

    /// <summary>
    /// Which confidence ranks predictions (<see cref="Scores"/>). Stored so that a later score can be added without an
    /// older reader misreading it (a reader refuses a score it does not know).
    /// </summary>
    [JsonPropertyName("score")] public string Score { get; init; } = MaxProbabilityScore;

    /// <summary>A prediction is abstained when its confidence is below this value (≥ 0; 0 never abstains).</summary>
    [JsonPropertyName("threshold")] public required double Threshold { get; init; }

    /// <summary>The asked validation coverage (<c>decision.abstain.coverage</c>), or null when the target was an accuracy.</summary>
    [JsonPropertyName("coverage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Coverage { get; init; }

    /// <summary>The asked validation accuracy of the kept predictions (<c>decision.abstain.target_accuracy</c>), or null when the target was a coverage.</summary>
    [JsonPropertyName("target_accuracy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TargetAccuracy { get; init; }

    /// <summary>The fraction of validation examples the threshold kept.</summary>
    [JsonPropertyName("validation_coverage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationCoverage { get; init; }

    /// <summary>The accuracy of the kept validation examples (multi-label: subset accuracy).</summary>
    [JsonPropertyName("validation_accuracy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationAccuracy { get; init; }

    /// <summary>
    /// The confidence of one row of probabilities under <paramref name="score"/> (higher = surer), in [0, 1] except the
    /// margin of a binary model with a tuned threshold, in [0, 2]:
    /// <list type="bullet">
    /// <item><see cref="MaxProbabilityScore"/>: single-label (binary, multiclass), the largest probability; multi-label,
    /// the least sure label decision, minⱼ max(pⱼ, 1 − pⱼ).</item>
    /// <item><see cref="MarginScore"/>: <see cref="ActiveLearning.Margin"/> with the model's thresholds: top − second
    /// probability; 2·|p − t| for a binary model with a tuned threshold t; multi-label, minⱼ |pⱼ − tⱼ| (t = 0.5 unless
    /// tuned), the label decision closest to flipping.</item>
    /// </list>
    /// </summary>
    /// <exception cref="ArgumentException">An unknown score.</exception>
    public static double Confidence(string score, LabelSchema schema, ReadOnlySpan<double> probabilities, IReadOnlyList<double>? thresholds)
    {
        ArgumentNullException.ThrowIfNull(schema);
        switch (score)
        {
            case MarginScore:
                return ActiveLearning.Margin(schema.Kind, probabilities, thresholds);
            case MaxProbabilityScore when schema.IsMultilabel:
                double least = 1;
                foreach (var p in probabilities) least = Math.Min(least, Math.Max(p, 1 - p));
                return least;
            case MaxProbabilityScore:
                double most = 0;
                foreach (var p in probabilities) most = Math.Max(most, p);
                return most;
            default:
                throw new ArgumentException($"Unknown abstain score '{score}' (known: {string.Join(", ", Scores)}).", nameof(score));
        }
    }

    /// <summary>The confidence of one row under this rule's <see cref="Score"/>, with the model's decision <paramref name="thresholds"/>.</summary>
    public double Confidence(LabelSchema schema, ReadOnlySpan<double> probabilities, IReadOnlyList<double>? thresholds) =>
        Confidence(Score, schema, probabilities, thresholds);

    /// <summary>True when the row's <see cref="Confidence(LabelSchema, ReadOnlySpan{double}, IReadOnlyList{double}?)"/> is below <see cref="Threshold"/>.</summary>
    public bool Abstains(LabelSchema schema, ReadOnlySpan<double> probabilities, IReadOnlyList<double>? thresholds) =>
        Confidence(schema, probabilities, thresholds) < Threshold;

    /// <summary>The first problem of the rule (the field under <c>abstain</c> and why), or null when it is valid.</summary>
    public (string Field, string Reason)? FindProblem()
    {
        static string N(double v) => v.ToString(CultureInfo.InvariantCulture);
        if (!Scores.Contains(Score))
            return ("score", $"unknown abstain score '{Score}' (this Classify knows {string.Join(", ", Scores)}); upgrade Classify to load this model");
        if (!(Threshold >= 0) || double.IsInfinity(Threshold))
            return ("threshold", $"the abstain threshold is {N(Threshold)}; it is a confidence, a finite number of at least 0");
        if (Coverage is null == TargetAccuracy is null)
            return ("coverage", "an abstain rule records exactly one target: coverage or target_accuracy");
        if (AbstainTarget.FractionProblem(Coverage ?? TargetAccuracy!.Value) is { } bad) return (Coverage is null ? "target_accuracy" : "coverage", bad);
        foreach (var (field, value) in new[] { ("validation_coverage", ValidationCoverage), ("validation_accuracy", ValidationAccuracy) })
            if (value is { } v && !(v is >= 0 and <= 1)) return (field, $"{field} is {N(v)}; it is a fraction in [0, 1]");
        return null;
    }
}

/// <summary>
/// What <c>decision.abstain</c> asks for: keep a fraction of the validation examples (<see cref="Coverage"/>), or keep as
/// many as possible while their accuracy reaches <see cref="TargetAccuracy"/>. Exactly one is set, in (0, 1].
/// </summary>
public sealed record AbstainTarget
{
    /// <summary>The fraction of validation examples to keep, in (0, 1].</summary>
    public double? Coverage { get; init; }
    /// <summary>The accuracy the kept validation examples must reach, in (0, 1].</summary>
    public double? TargetAccuracy { get; init; }
    /// <summary>The confidence score (<see cref="AbstainRule.Scores"/>), or null for the task's <see cref="AbstainRule.DefaultScore"/>.</summary>
    public string? Score { get; init; }

    /// <summary>Why <paramref name="value"/> is not a fraction in (0, 1], or null when it is.</summary>
    public static string? FractionProblem(double value) => value is > 0 and <= 1
        ? null
        : $"must be a fraction greater than 0 and at most 1, got {value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>What <see cref="AbstainTuner.Fit"/> found on the validation split.</summary>
/// <param name="Reached">Whether the target was met (a coverage target always is).</param>
/// <param name="Threshold">The abstain threshold; null when the target was not reached.</param>
/// <param name="Kept">Validation examples kept by the threshold (for an unreached target: by the best cut).</param>
/// <param name="Coverage">Kept / examples.</param>
/// <param name="Accuracy">Accuracy of the kept examples.</param>
public sealed record AbstainFit(bool Reached, double? Threshold, int Kept, double Coverage, double Accuracy)
{
    /// <summary>
    /// The rule to store in the package for <paramref name="target"/>, with the confidence <paramref name="score"/> the fit
    /// ranked by; null when the target was not reached.
    /// </summary>
    public AbstainRule? ToRule(AbstainTarget target, string score = AbstainRule.MaxProbabilityScore) => Threshold is { } t
        ? new AbstainRule
        {
            Score = score, Threshold = t, Coverage = target.Coverage, TargetAccuracy = target.TargetAccuracy, ValidationCoverage = Coverage,
            ValidationAccuracy = Accuracy,
        }
        : null;
}

/// <summary>
/// Chooses the abstain threshold on validation confidences (<see cref="AbstainRule.Confidence(string, LabelSchema, ReadOnlySpan{double}, IReadOnlyList{double}?)"/>) and whether each
/// validation prediction is right.
/// </summary>
/// <remarks>
/// Examples are sorted by confidence, most confident first; a cut keeps a prefix and never splits examples of equal
/// confidence (they are all kept or all abstained, so the cut is deterministic). The threshold is the midpoint between
/// the lowest kept confidence and the highest abstained one (0 when nothing is abstained), as
/// <see cref="ThresholdTuner"/> places its thresholds, so it does not sit exactly on a validation value.
/// <list type="bullet">
/// <item><b>Coverage c</b>: the shortest cut that keeps at least ⌈c · n⌉ examples (at least one); ties at the cut can
/// make the validation coverage larger than c.</item>
/// <item><b>Target accuracy a</b>: the longest cut whose kept examples have accuracy ≥ a (the largest coverage). When no
/// cut reaches a, the fit is not reached: no threshold, and the best accuracy any cut reaches (the longest such cut) is
/// reported instead.</item>
/// </list>
/// </remarks>
public static class AbstainTuner
{
    /// <summary>Fits <paramref name="target"/> on one confidence and one right/wrong flag per validation example.</summary>
    /// <exception cref="ArgumentException">No example, lengths that differ, a NaN confidence, or a target not in (0, 1].</exception>
    public static AbstainFit Fit(AbstainTarget target, IReadOnlyList<double> confidence, IReadOnlyList<bool> correct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(confidence);
        ArgumentNullException.ThrowIfNull(correct);
        if (confidence.Count == 0) throw new ArgumentException("No validation example to fit an abstain threshold on.", nameof(confidence));
        if (confidence.Count != correct.Count) throw new ArgumentException($"{confidence.Count} confidences for {correct.Count} examples.", nameof(correct));
        if (confidence.Any(double.IsNaN)) throw new ArgumentException("A confidence is NaN.", nameof(confidence));
        if (target.Coverage is null == target.TargetAccuracy is null) throw new ArgumentException("Give exactly one of Coverage and TargetAccuracy.", nameof(target));
        if (AbstainTarget.FractionProblem(target.Coverage ?? target.TargetAccuracy!.Value) is { } problem) throw new ArgumentException(problem, nameof(target));

        int n = confidence.Count;
        var order = Enumerable.Range(0, n).OrderByDescending(i => confidence[i]).ToArray();
        // The possible cuts: after each run of equal confidences, with the kept count and how many of them are right.
        var cuts = new List<(int Kept, int Right)>();
        int right = 0;
        for (int r = 0; r < n; r++)
        {
            if (correct[order[r]]) right++;
            if (r + 1 == n || confidence[order[r + 1]] != confidence[order[r]]) cuts.Add((r + 1, right));
        }
        double ThresholdAfter(int kept) => kept == n ? 0 : Midpoint(confidence[order[kept - 1]], confidence[order[kept]]);
        AbstainFit At((int Kept, int Right) cut, bool reached) =>
            new(reached, reached ? ThresholdAfter(cut.Kept) : null, cut.Kept, (double)cut.Kept / n, (double)cut.Right / cut.Kept);

        if (target.Coverage is { } coverage)
        {
            // Rounded first so that 0.7 × 10 (7.000000000000001 in floating point) asks for 7 examples, not 8.
            int wanted = Math.Max(1, (int)Math.Ceiling(Math.Round(coverage * n, 9)));
            return At(cuts.First(c => c.Kept >= wanted), reached: true);
        }
        double accuracy = target.TargetAccuracy!.Value;
        for (int g = cuts.Count - 1; g >= 0; g--)
            if ((double)cuts[g].Right / cuts[g].Kept >= accuracy) return At(cuts[g], reached: true);
        var best = cuts[0];
        foreach (var cut in cuts)
            if ((double)cut.Right / cut.Kept >= (double)best.Right / best.Kept) best = cut;
        return At(best, reached: false);
    }

    /// <summary>
    /// Whether each prediction is right: the predicted label set equals the gold one (single-label: the class; multi-label:
    /// subset accuracy, the whole set).
    /// </summary>
    public static bool[] Correct(IReadOnlyList<int[]> gold, IReadOnlyList<int[]> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count) throw new ArgumentException($"{gold.Count} gold rows for {predicted.Count} predictions.", nameof(predicted));
        var correct = new bool[gold.Count];
        for (int i = 0; i < correct.Length; i++) correct[i] = gold[i].Order().SequenceEqual(predicted[i].Order());
        return correct;
    }

    // Strictly between the two (lower < result ≤ upper), even when they are adjacent doubles.
    private static double Midpoint(double upper, double lower)
    {
        double mid = lower + (upper - lower) / 2;
        return mid > lower ? mid : upper;
    }
}
