using Classify.Tuning.Samplers;
using Classify.Tuning.Samplers.Tpe;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Samplers;

/// <summary>Our TPE pieces against Optuna 3.1's on the same inputs (fixture computed by make_tuning_fixtures.py).</summary>
public class OptunaParityTests
{
    private static void Close(double expected, double actual, double tolerance, string what)
    {
        if (double.IsNegativeInfinity(expected)) { Assert.True(double.IsNegativeInfinity(actual), $"{what}: expected -inf, got {actual}"); return; }
        double scale = Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance * scale, $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void Parzen_estimators_match_optuna_weights_components_and_log_density()
    {
        int cases = 0;
        foreach (var c in Fixture("parzen").AsArray())
        {
            var d = Distribution(c!["distribution"]!);
            var options = new TpeSamplerOptions
            {
                ConsiderPrior = (bool)c["consider_prior"]!, PriorWeight = (double)c["prior_weight"]!,
                ConsiderEndpoints = (bool)c["consider_endpoints"]!, ConsiderMagicClip = (bool)c["consider_magic_clip"]!,
            };
            var obs = Doubles(c["observations"]);
            var pe = new ParzenEstimator(d, obs, options);
            string what = $"{c["distribution"]!.ToJsonString()} n={obs.Length} prior={options.ConsiderPrior}/{options.PriorWeight}";

            var weights = Doubles(c["weights"]);
            Assert.Equal(weights.Length, pe.Weights.Length);
            for (int i = 0; i < weights.Length; i++) Close(weights[i], pe.Weights[i], 1e-12, what + " weight");
            if (d is ChoiceDistribution)
            {
                var rows = c["categorical_weights"]!.AsArray();
                Assert.Equal(rows.Count, pe.CategoricalWeights.Length);
                for (int i = 0; i < rows.Count; i++)
                    for (int k = 0; k < rows[i]!.AsArray().Count; k++) Close((double)rows[i]![k]!, pe.CategoricalWeights[i][k], 1e-12, what + " row");
            }
            else
            {
                Close((double)c["low"]!, pe.Low, 1e-12, what + " low");
                Close((double)c["high"]!, pe.High, 1e-12, what + " high");
                var mus = Doubles(c["mus"]);
                var sigmas = Doubles(c["sigmas"]);
                for (int i = 0; i < mus.Length; i++)
                {
                    Close(mus[i], pe.Mus[i], 1e-12, what + " mu");
                    Close(sigmas[i], pe.Sigmas[i], 1e-12, what + " sigma");
                }
            }
            var points = Doubles(c["points"]);
            var expected = Doubles(c["log_pdf"]);
            var actual = pe.LogPdf(points);
            for (int i = 0; i < points.Length; i++) Close(expected[i], actual[i], 1e-9, $"{what} log_pdf({points[i]})");
            cases++;
        }
        Assert.True(cases > 60);
    }

    [Fact]
    public void Truncated_normal_quantiles_masses_and_log_cdf_match_optuna()
    {
        var t = Fixture("truncnorm");
        foreach (var r in t["log_ndtr"]!.AsArray())
            Close((double)r!["log_ndtr"]!, NormalMath.LogNdtr((double)r["x"]!), 1e-12, $"log_ndtr({r["x"]})");
        foreach (var r in t["log_gauss_mass"]!.AsArray())
            Close((double)r!["log_mass"]!, NormalMath.LogGaussMass((double)r["a"]!, (double)r["b"]!), 1e-9, $"log_gauss_mass({r["a"]}, {r["b"]})");
        foreach (var r in t["ppf"]!.AsArray())
        {
            double q = (double)r!["q"]!, a = (double)r["a"]!, b = (double)r["b"]!;
            // Near q = 1 both invert log Φ(x) ≈ −1e-9, known only to ~1e-16 absolute, so x is conditioned to ~1e-8 there
            // (for q = 1 − 1e-9 on [−8, 9] the true quantile is 5.99780701501; Optuna's bisection gives …7029, ours …7020).
            Close((double)r["ppf"]!, NormalMath.TruncatedPpf(q, a, b), 1 - q < 1e-6 ? 2e-8 : 1e-9, $"ppf({q}, {a}, {b})");
        }
    }

    [Fact]
    public void Below_above_split_matches_optuna_with_pruned_running_and_failed_trials()
    {
        foreach (var c in Fixture("split").AsArray())
        {
            var trials = c!["trials"]!.AsArray().Select(t =>
            {
                var state = (string)t!["state"]! switch
                {
                    "complete" => TrialState.Complete, "pruned" or "pruned_empty" => TrialState.Pruned,
                    "running" => TrialState.Running, _ => TrialState.Failed,
                };
                var inter = t["intermediate_values"]!.AsObject().ToDictionary(kv => long.Parse(kv.Key), kv => (double)kv.Value!);
                return Trial((int)t["number"]!, state, new Dictionary<string, object?> { ["x"] = (double)t["x"]! }, (double?)t["value"], inter);
            }).ToList();
            var observations = TpeSampler.Observations(trials, Direction((string)c["direction"]!));
            Assert.Equal((int)c["n"]!, observations.Count);
            var options = new TpeSamplerOptions();
            Assert.Equal((int)c["gamma"]!, options.BelowCount(observations.Count));
            var (below, above) = TpeSampler.Split(observations, options.BelowCount(observations.Count));
            Assert.Equal(c["below"]!.AsArray().Select(n => (int)n!), below.Select(t => t.Number));
            Assert.Equal(c["above"]!.AsArray().Select(n => (int)n!), above.Select(t => t.Number));
        }
    }

    [Fact]
    public void Default_gamma_and_weights_follow_optuna()
    {
        var o = new TpeSamplerOptions();
        Assert.Equal(1, o.BelowCount(1));
        Assert.Equal(1, o.BelowCount(10));
        Assert.Equal(2, o.BelowCount(11));
        Assert.Equal(3, o.BelowCount(30));
        Assert.Equal(4, o.BelowCount(31));
        Assert.Equal(25, o.BelowCount(1000));
        var w = ParzenEstimator.MixtureWeights(30, prior: false, priorWeight: 1);
        // numpy: concatenate([linspace(1/30, 1, 5), ones(25)]) / sum
        double[] raw = [1.0 / 30, 1.0 / 30 + (1 - 1.0 / 30) / 4, 1.0 / 30 + 2 * (1 - 1.0 / 30) / 4, 1.0 / 30 + 3 * (1 - 1.0 / 30) / 4, 1.0];
        double sum = raw.Sum() + 25;
        for (int i = 0; i < 5; i++) Assert.Equal(raw[i] / sum, w[i], 12);
        Assert.Equal(1 / sum, w[29], 12);
    }
}
