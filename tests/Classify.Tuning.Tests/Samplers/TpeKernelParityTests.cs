using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Samplers;

/// <summary>
/// The whole TPE step against Optuna 3.1's: for fixed histories (complete and pruned trials), the distribution of the
/// proposed value over 2,000 sampler seeds. The streams differ (numpy's Mersenne Twister vs ours), so the comparison is
/// statistical: choice and grid frequencies within 0.05, and our empirical cdf within 0.05 of p at Optuna's p-quantiles
/// (≈ 3 standard errors of the difference of two 2,000-sample estimates). The seeds are fixed, so the test is
/// deterministic.
/// </summary>
public class TpeKernelParityTests
{
    private const double Tolerance = 0.05;

    [Fact]
    public void Tpe_proposals_are_distributed_as_optunas_for_the_same_history()
    {
        foreach (var c in Fixture("tpe_proposals").AsArray())
        {
            var spaceJson = c!["space"]!.AsObject();
            var space = new SearchSpace(spaceJson.Select(kv => Rename(Distribution(kv.Value!), kv.Key)).ToList());
            var trials = c["trials"]!.AsArray().Select(t =>
            {
                var parameters = t!["params"]!.AsObject().ToDictionary(kv => kv.Key, kv => ParameterValues.FromNode(kv.Value?.DeepClone()));
                // Optuna's float params are floats even when integral; ours keep the distribution's type.
                foreach (var d in space.Parameters.OfType<FloatDistribution>())
                    if (parameters[d.Key] is long l) parameters[d.Key] = (double)l;
                var inter = t["intermediate_values"]!.AsObject().ToDictionary(kv => long.Parse(kv.Key), kv => (double)kv.Value!);
                var state = (string)t["state"]! == "pruned" ? TrialState.Pruned : TrialState.Complete;
                return Trial((int)t["number"]!, state, parameters, (double?)t["value"], inter);
            }).ToList();
            var direction = Direction((string)c["direction"]!);
            int seeds = (int)c["seeds"]!;
            var proposals = Enumerable.Range(0, seeds)
                .Select(s => new TpeSampler(new TpeSamplerOptions { Seed = s }).Propose(space, trials, trials.Count, direction)!.Parameters).ToList();

            foreach (var d in space.Parameters)
            {
                var expected = c["proposals"]![d.Key]!;
                var values = proposals.Select(p => p[d.Key]).ToList();
                string what = $"{c["name"]} {d.Key}";
                if (expected["frequencies"] is { } frequencies)
                {
                    var grid = d switch
                    {
                        ChoiceDistribution choice => choice.Choices.ToList(),
                        IntDistribution i => Enumerable.Range(0, (int)((i.High - i.Low) / i.Step) + 1).Select(k => (object?)(i.Low + k * i.Step)).ToList(),
                        FloatDistribution { Step: double step } f => Enumerable.Range(0, (int)Math.Round((f.High - f.Low) / step) + 1).Select(k => (object?)(f.Low + k * step)).ToList(),
                        _ => throw new InvalidOperationException(what),
                    };
                    for (int k = 0; k < grid.Count; k++)
                    {
                        double ours = values.Count(v => Same(v, grid[k])) / (double)seeds;
                        double theirs = (double)frequencies[k]!;
                        Assert.True(Math.Abs(ours - theirs) <= Tolerance, $"{what} = {ParameterValues.ToJson(grid[k])}: optuna {theirs:F3}, ours {ours:F3}");
                    }
                }
                else
                {
                    var quantiles = Doubles(expected["quantiles"]);
                    var sorted = values.Select(v => (double)v!).Order().ToArray();
                    for (int k = 0; k < quantiles.Length; k++)
                    {
                        double p = 0.05 * (k + 1);
                        double cdf = sorted.Count(v => v <= quantiles[k]) / (double)seeds;
                        Assert.True(Math.Abs(cdf - p) <= Tolerance, $"{what}: optuna's {p:F2}-quantile {quantiles[k]:F4} is our {cdf:F3}-quantile");
                    }
                }
            }
        }
    }

    private static bool Same(object? a, object? b) =>
        a is double x && b is double y ? Math.Abs(x - y) < 1e-9 : ParameterValues.AreEqual(a, b);

    private static ParameterDistribution Rename(ParameterDistribution d, string key) => d switch
    {
        ChoiceDistribution c => c with { Key = key },
        IntDistribution i => i with { Key = key },
        FloatDistribution f => f with { Key = key },
        _ => throw new ArgumentException(d.Key),
    };
}
