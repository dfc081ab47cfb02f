using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Samplers;

public class GridSamplerTests
{
    private static SearchSpace Space() => new([
        new ChoiceDistribution("linear.penalty", ["l1", "l2"]),
        new IntDistribution("linear.min_df", 1, 5, Step: 2),
        new FloatDistribution("linear.C", 0.0, 0.3, Step: 0.1),
    ]);

    [Fact]
    public void The_grid_is_the_cartesian_product_in_config_order_with_clean_float_steps()
    {
        var space = Space();
        Assert.Equal(2 * 3 * 4, GridSampler.GridSize(space));
        var sampler = new GridSampler();
        var trials = new List<StudyTrial>();
        var points = new List<TrialProposal>();
        while (sampler.Propose(space, trials, trials.Count, StudyDirection.Maximize) is { } p)
        {
            points.Add(p);
            trials.Add(Trial(trials.Count, TrialState.Complete, p.Parameters, 0.5, gridKey: p.GridKey));
        }
        Assert.Equal(24, points.Count);
        Assert.Equal("{\"linear.penalty\":\"l1\",\"linear.min_df\":1,\"linear.C\":0.0}", points[0].GridKey);
        Assert.Equal("{\"linear.penalty\":\"l1\",\"linear.min_df\":1,\"linear.C\":0.1}", points[1].GridKey); // last varies fastest
        Assert.Equal("{\"linear.penalty\":\"l1\",\"linear.min_df\":3,\"linear.C\":0.0}", points[4].GridKey);
        Assert.Equal(0.3, points[3].Parameters["linear.C"]); // not 0.30000000000000004
        Assert.Equal("{\"linear.penalty\":\"l2\",\"linear.min_df\":5,\"linear.C\":0.3}", points[^1].GridKey);
        Assert.Equal(24, points.Select(p => p.GridKey).Distinct().Count());
        Assert.All(points, p => Assert.All(space.Parameters, d => Assert.True(d.Contains(p.Parameters[d.Key]), $"{d.Key}={p.Parameters[d.Key]}")));
        Assert.All(points, p => Assert.Equal(p.GridKey, GridSampler.PointKey(space, p.Parameters)));
    }

    [Fact]
    public void A_float_range_without_a_step_has_no_grid()
    {
        var space = new SearchSpace([new FloatDistribution("linear.C", 0.01, 100, Log: true)]);
        var problem = GridSampler.FindProblem(space);
        Assert.Contains("linear.C", problem);
        Assert.Contains("step", problem);
        var e = Assert.Throws<ArgumentException>(() => new GridSampler().Propose(space, [], 0, StudyDirection.Maximize));
        Assert.Contains("choice", e.Message);
    }

    [Fact]
    public void Live_trials_hold_their_points_and_failed_trials_free_them()
    {
        var space = Space();
        var sampler = new GridSampler();
        var first = sampler.Propose(space, [], 0, StudyDirection.Maximize)!;
        foreach (var state in new[] { TrialState.Waiting, TrialState.Running, TrialState.Complete, TrialState.Pruned })
        {
            var next = sampler.Propose(space, [Trial(0, state, first.Parameters, gridKey: first.GridKey)], 1, StudyDirection.Maximize)!;
            Assert.NotEqual(first.GridKey, next.GridKey);
        }
        var again = sampler.Propose(space, [Trial(0, TrialState.Failed, first.Parameters, gridKey: first.GridKey)], 1, StudyDirection.Maximize)!;
        Assert.Equal(first.GridKey, again.GridKey);
        // A trial enqueued by hand without a key still holds the point its parameters name.
        var enqueued = sampler.Propose(space, [Trial(0, TrialState.Waiting, first.Parameters)], 1, StudyDirection.Maximize)!;
        Assert.NotEqual(first.GridKey, enqueued.GridKey);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(17L)]
    public void Racing_workers_evaluate_every_point_exactly_once(long? seed)
    {
        // A storage with the unique constraint on live grid keys; four workers propose from the same stale snapshot, the
        // storage accepts the first claim of a key and the losers ask again with fresh trials; one evaluation in six fails
        // and its point must be taken again.
        var space = Space();
        var rng = new Random(5);
        var trials = new List<StudyTrial>();
        var workers = Enumerable.Range(0, 4).Select(_ => new GridSampler(new GridSamplerOptions { Seed = seed })).ToArray();
        var done = new bool[workers.Length];
        int rounds = 0;
        while (!done.All(d => d) && rounds++ < 1000)
        {
            var snapshot = trials.ToList();
            var proposals = workers.Select(w => w.Propose(space, snapshot, snapshot.Count, StudyDirection.Minimize)).ToArray();
            foreach (int w in Enumerable.Range(0, workers.Length).OrderBy(_ => rng.Next()))
            {
                var p = proposals[w];
                if (p is null) { done[w] = true; continue; }
                if (trials.Any(t => t.State != TrialState.Failed && t.GridKey == p.GridKey)) continue; // lost the race
                var state = rng.Next(6) == 0 ? TrialState.Failed : TrialState.Complete;
                trials.Add(Trial(trials.Count, state, p.Parameters, state == TrialState.Complete ? 1.0 : null, gridKey: p.GridKey));
            }
        }
        var completed = trials.Where(t => t.State == TrialState.Complete).ToList();
        Assert.Equal(24, completed.Count);
        Assert.Equal(24, completed.Select(t => t.GridKey).Distinct().Count());
        Assert.Contains(trials, t => t.State == TrialState.Failed);
        Assert.All(workers, w => Assert.Null(w.Propose(space, trials, trials.Count, StudyDirection.Minimize)));
    }

    [Fact]
    public void A_seed_fixes_a_shuffled_visiting_order_shared_by_all_workers()
    {
        var space = Space();
        List<string> Order(GridSampler s)
        {
            var trials = new List<StudyTrial>();
            while (s.Propose(space, trials, trials.Count, StudyDirection.Minimize) is { } p)
                trials.Add(Trial(trials.Count, TrialState.Complete, p.Parameters, 0, gridKey: p.GridKey));
            return trials.Select(t => t.GridKey!).ToList();
        }
        var plain = Order(new GridSampler());
        var a = Order(new GridSampler(new GridSamplerOptions { Seed = 3 }));
        var b = Order(new GridSampler(new GridSamplerOptions { Seed = 3 }));
        var c = Order(new GridSampler(new GridSamplerOptions { Seed = 4 }));
        Assert.Equal(a, b);
        Assert.NotEqual(plain, a);
        Assert.NotEqual(a, c);
        Assert.Equal(plain.Order(StringComparer.Ordinal), a.Order(StringComparer.Ordinal));
    }
}
