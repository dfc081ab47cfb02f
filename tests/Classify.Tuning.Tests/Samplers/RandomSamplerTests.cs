using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Samplers;

public class RandomSamplerTests
{
    private static IReadOnlyDictionary<string, object?> Propose(ISampler s, SearchSpace space, int number) =>
        s.Propose(space, [], number, StudyDirection.Maximize)!.Parameters;

    [Fact]
    public void Proposals_follow_from_seed_and_trial_number()
    {
        var space = TweetLinearSpace();
        var a = new RandomSampler(new RandomSamplerOptions { Seed = 42 });
        var b = new RandomSampler(new RandomSamplerOptions { Seed = 42 });
        var c = new RandomSampler(new RandomSamplerOptions { Seed = 43 });
        Assert.Equal(ParameterValues.ToJson(Propose(a, space, 7)), ParameterValues.ToJson(Propose(b, space, 7)));
        // Two workers sharing the seed propose different points for different trial numbers.
        Assert.NotEqual(Propose(a, space, 7)["linear.C"], Propose(b, space, 8)["linear.C"]);
        Assert.NotEqual(Propose(a, space, 7)["linear.C"], Propose(c, space, 7)["linear.C"]);
        Assert.Null(new RandomSampler().Propose(space, [], 0, StudyDirection.Minimize)!.GridKey);
    }

    [Fact]
    public void Draws_stay_in_their_distributions_and_are_uniform_in_the_transformed_space()
    {
        var space = new SearchSpace([
            new IntDistribution("i", 1, 5),
            new IntDistribution("ilog", 1, 1000, Log: true),
            new FloatDistribution("flog", 0.01, 100, Log: true),
            new FloatDistribution("fstep", 0, 1, Step: 0.25),
            new FloatDistribution("f", -2, 3),
            new ChoiceDistribution("c", ["a", "b", "c"]),
        ]);
        var sampler = new RandomSampler(new RandomSamplerOptions { Seed = 1 });
        const int n = 20_000;
        var draws = Enumerable.Range(0, n).Select(i => Propose(sampler, space, i)).ToList();
        foreach (var d in space.Parameters)
            Assert.All(draws, p => Assert.True(d.Contains(p[d.Key]), $"{d.Key} = {p[d.Key]}"));

        // Ints and stepped floats: every grid value equally likely, ends included (Optuna widens by half a step).
        foreach (var g in draws.GroupBy(p => (long)p["i"]!)) Assert.InRange(g.Count(), n / 5 * 0.93, n / 5 * 1.07);
        foreach (var g in draws.GroupBy(p => (double)p["fstep"]!)) Assert.InRange(g.Count(), n / 5 * 0.93, n / 5 * 1.07);
        foreach (var g in draws.GroupBy(p => (string)p["c"]!)) Assert.InRange(g.Count(), n / 3 * 0.95, n / 3 * 1.05);
        // Log int: log-uniform over [0.5, 1000.5], so P(x ≤ 10) = log(10.5/0.5) / log(1000.5/0.5).
        double pSmall = Math.Log(10.5 / 0.5) / Math.Log(1000.5 / 0.5);
        Assert.InRange(draws.Count(p => (long)p["ilog"]! <= 10) / (double)n, pSmall - 0.015, pSmall + 0.015);
        // Log float: half the mass below the geometric mean 1.
        Assert.InRange(draws.Count(p => (double)p["flog"]! < 1) / (double)n, 0.485, 0.515);
        Assert.InRange(draws.Average(p => (double)p["f"]!), 0.5 - 0.03, 0.5 + 0.03);
    }
}
