using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using Xunit.Abstractions;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Samplers;

public class TpeSamplerTests(ITestOutputHelper output)
{
    private static List<StudyTrial> History(SearchSpace space, int n, Func<IReadOnlyDictionary<string, object?>, double> objective, long seed = 9)
    {
        var random = new RandomSampler(new RandomSamplerOptions { Seed = seed });
        return Enumerable.Range(0, n).Select(i =>
        {
            var p = random.Propose(space, [], i, StudyDirection.Maximize)!.Parameters;
            return Trial(i, TrialState.Complete, p, objective(p));
        }).ToList();
    }

    [Fact]
    public void Proposals_follow_from_seed_trial_number_and_history()
    {
        var space = TweetLinearSpace();
        var history = History(space, 20, StudySimulation.TweetLinearStandIn);
        string Json(long seed, int number, IReadOnlyList<StudyTrial> h) =>
            ParameterValues.ToJson(new TpeSampler(new TpeSamplerOptions { Seed = seed }).Propose(space, h, number, StudyDirection.Maximize)!.Parameters);
        Assert.Equal(Json(1, 20, history), Json(1, 20, history));
        Assert.NotEqual(Json(1, 20, history), Json(2, 20, history));
        Assert.NotEqual(Json(1, 20, history), Json(1, 21, history));
        Assert.NotEqual(Json(1, 20, history), Json(1, 20, history.Take(15).ToList()));
    }

    [Fact]
    public void The_startup_trials_are_the_random_samplers_and_count_only_finished_trials()
    {
        var space = TweetLinearSpace();
        var history = History(space, 9, StudySimulation.TweetLinearStandIn);
        // Running, waiting and failed trials do not count towards n_startup_trials (nor enter the densities).
        history.Add(Trial(9, TrialState.Running, history[0].Parameters));
        history.Add(Trial(10, TrialState.Failed, history[1].Parameters));
        var tpe = new TpeSampler(new TpeSamplerOptions { Seed = 5 }).Propose(space, history, 11, StudyDirection.Maximize)!;
        var random = new RandomSampler(new RandomSamplerOptions { Seed = 5 }).Propose(space, [], 11, StudyDirection.Maximize)!;
        Assert.Equal(ParameterValues.ToJson(random.Parameters), ParameterValues.ToJson(tpe.Parameters));

        history.Add(Trial(11, TrialState.Pruned, history[2].Parameters, 0.5, new Dictionary<long, double> { [0] = 0.5 }));
        var model = new TpeSampler(new TpeSamplerOptions { Seed = 5 }).Propose(space, history, 12, StudyDirection.Maximize)!;
        var random12 = new RandomSampler(new RandomSamplerOptions { Seed = 5 }).Propose(space, [], 12, StudyDirection.Maximize)!;
        Assert.NotEqual(ParameterValues.ToJson(random12.Parameters), ParameterValues.ToJson(model.Parameters));
    }

    [Fact]
    public void Minimising_a_metric_is_maximising_its_negation()
    {
        var space = TweetLinearSpace();
        var history = History(space, 25, StudySimulation.TweetLinearStandIn);
        var negated = history.Select(t => t with { Value = -t.Value }).ToList();
        for (int number = 25; number < 30; number++)
        {
            var max = new TpeSampler(new TpeSamplerOptions { Seed = 3 }).Propose(space, history, number, StudyDirection.Maximize)!;
            var min = new TpeSampler(new TpeSamplerOptions { Seed = 3 }).Propose(space, negated, number, StudyDirection.Minimize)!;
            Assert.Equal(ParameterValues.ToJson(max.Parameters), ParameterValues.ToJson(min.Parameters));
        }
    }

    [Fact]
    public void Proposals_stay_in_their_distributions()
    {
        var space = new SearchSpace([
            new IntDistribution("i", 0, 20, Step: 4),
            new IntDistribution("ilog", 1, 1000, Log: true),
            new FloatDistribution("flog", 0.01, 100, Log: true),
            new FloatDistribution("fstep", 0, 1, Step: 0.1),
            new FloatDistribution("f", -2, 3),
            new ChoiceDistribution("c", [null, "balanced"]),
        ]);
        double Objective(IReadOnlyDictionary<string, object?> p) => (long)p["i"]! + Math.Log((long)p["ilog"]!) - (double)p["f"]! * (double)p["fstep"]!;
        var run = StudySimulation.Run(new TpeSampler(new TpeSamplerOptions { Seed = 8 }), space, Objective, 40, StudyDirection.Minimize);
        foreach (var d in space.Parameters)
            Assert.All(run.Trials, t => Assert.True(d.Contains(t.Parameters[d.Key]), $"{d.Key} = {t.Parameters[d.Key]}"));
    }

    [Fact]
    public void Single_valued_parameters_are_returned_as_they_are()
    {
        var space = new SearchSpace([
            new FloatDistribution("f", 0.5, 0.5), new IntDistribution("i", 3, 3), new ChoiceDistribution("c", ["only"]),
            new FloatDistribution("x", 0, 1),
        ]);
        var run = StudySimulation.Run(new TpeSampler(new TpeSamplerOptions { Seed = 1 }), space, p => (double)p["x"]!, 15, StudyDirection.Minimize);
        Assert.All(run.Trials, t => Assert.Equal((0.5, 3L, "only"), ((double)t.Parameters["f"]!, (long)t.Parameters["i"]!, (string)t.Parameters["c"]!)));
    }

    [Fact]
    public void Tpe_beats_random_search_on_branin()
    {
        // 60 trials, 10 seeds each. TPE's mean best must beat random search's clearly, not by luck: by more than the
        // standard error of the difference.
        const int seeds = 10, n = 60;
        var tpe = new double[seeds];
        var random = new double[seeds];
        for (int s = 0; s < seeds; s++)
        {
            tpe[s] = StudySimulation.Run(new TpeSampler(new TpeSamplerOptions { Seed = s }), StudySimulation.BraninSpace(), StudySimulation.Branin, n, StudyDirection.Minimize).Best;
            random[s] = StudySimulation.Run(new RandomSampler(new RandomSamplerOptions { Seed = s }), StudySimulation.BraninSpace(), StudySimulation.Branin, n, StudyDirection.Minimize).Best;
        }
        double se = Math.Sqrt(Variance(tpe) / seeds + Variance(random) / seeds);
        output.WriteLine($"Branin best after {n}: TPE {tpe.Average():F4} ± {Math.Sqrt(Variance(tpe)):F4}, random {random.Average():F4} ± {Math.Sqrt(Variance(random)):F4} (optimum 0.3979)");
        Assert.True(random.Average() - tpe.Average() > se, $"TPE {tpe.Average():F4} vs random {random.Average():F4}, se {se:F4}");
    }

    [Fact]
    public void Tpe_finds_the_good_region_of_the_tweet_linear_space()
    {
        const int seeds = 10, n = 40;
        var tpe = new double[seeds];
        var random = new double[seeds];
        var late = new List<StudyTrial>();
        for (int s = 0; s < seeds; s++)
        {
            var run = StudySimulation.Run(new TpeSampler(new TpeSamplerOptions { Seed = s }), TweetLinearSpace(), StudySimulation.TweetLinearStandIn, n, StudyDirection.Maximize);
            tpe[s] = run.Best;
            late.AddRange(run.Trials.Skip(25));
            random[s] = StudySimulation.Run(new RandomSampler(new RandomSamplerOptions { Seed = s }), TweetLinearSpace(), StudySimulation.TweetLinearStandIn, n, StudyDirection.Maximize).Best;
        }
        output.WriteLine($"stand-in best after {n}: TPE {tpe.Average():F5} ± {Math.Sqrt(Variance(tpe)):F5}, random {random.Average():F5} ± {Math.Sqrt(Variance(random)):F5}");
        Assert.True(tpe.Average() > random.Average());
        // Late trials concentrate on the better categories: sublinear tf is chosen well above half the time.
        double sublinear = late.Count(t => (bool)t.Parameters["linear.sublinear_tf"]!) / (double)late.Count;
        output.WriteLine($"late trials with sublinear tf: {sublinear:P1}");
        Assert.True(sublinear > 0.6, $"{sublinear:P1} of the late trials chose sublinear tf");
    }

    private static double Variance(double[] xs)
    {
        double mean = xs.Average();
        return xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1);
    }

    [Fact]
    public void Bad_settings_are_refused_by_name()
    {
        Assert.Contains("gamma", Assert.Throws<ArgumentException>(() => new TpeSampler(new TpeSamplerOptions { Gamma = 0 })).Message);
        Assert.Equal("n_ei_candidates", new TpeSamplerOptions { NEiCandidates = 0 }.FindProblem()!.Value.Key);
        Assert.Null(new TpeSamplerOptions().FindProblem());
    }
}
