using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Samplers;

/// <summary>A sequential in-memory study: propose, evaluate, record; with the time spent in the sampler.</summary>
internal static class StudySimulation
{
    public sealed record Result(IReadOnlyList<StudyTrial> Trials, double Best, IReadOnlyList<double> ProposalMilliseconds);

    public static Result Run(ISampler sampler, SearchSpace space, Func<IReadOnlyDictionary<string, object?>, double> objective,
        int nTrials, StudyDirection direction)
    {
        var trials = new List<StudyTrial>();
        var times = new List<double>();
        for (int i = 0; i < nTrials; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var proposal = sampler.Propose(space, trials, i, direction)!;
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            double value = objective(proposal.Parameters);
            trials.Add(TuningTestData.Trial(i, TrialState.Complete, proposal.Parameters, value));
        }
        var values = trials.Select(t => t.Value!.Value);
        return new Result(trials, direction == StudyDirection.Minimize ? values.Min() : values.Max(), times);
    }

    /// <summary>Branin on [−5, 10] × [0, 15]; minimum 0.397887 at three points.</summary>
    public static double Branin(IReadOnlyDictionary<string, object?> p)
    {
        double x1 = (double)p["x1"]!, x2 = (double)p["x2"]!;
        double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        return Math.Pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * Math.Cos(x1) + 10;
    }

    public static SearchSpace BraninSpace() => new([new FloatDistribution("x1", -5, 10), new FloatDistribution("x2", 0, 15)]);

    /// <summary>
    /// A stand-in for macro-F1 over the tweet linear space (maximised), a made-up surface for sampler tests:
    /// a log-quadratic ridge in C peaking at C = 3, a mild preference for min_df = 2, bigrams, sublinear tf and balanced weights.
    /// </summary>
    public static double TweetLinearStandIn(IReadOnlyDictionary<string, object?> p)
    {
        var ngram = (IList<object?>)p["linear.ngram_range"]!;
        long maxN = (long)ngram[1]!;
        double logC = Math.Log10((double)p["linear.C"]!);
        long minDf = (long)p["linear.min_df"]!;
        return 0.80
               - 0.04 * Math.Pow(logC - Math.Log10(3), 2)
               - 0.005 * Math.Pow(minDf - 2, 2)
               + (maxN == 2 ? 0.02 : maxN == 3 ? 0.012 : 0)
               + ((bool)p["linear.sublinear_tf"]! ? 0.01 : 0)
               + (p["linear.class_weight"] is "balanced" ? 0.006 : 0);
    }
}
