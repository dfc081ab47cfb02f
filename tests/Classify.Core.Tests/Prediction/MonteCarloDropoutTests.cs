using Classify.Core.Prediction;

namespace Classify.Core.Tests.Prediction;

public class MonteCarloDropoutTests
{
    private static readonly TextInput[] Inputs = ["a", "bb", "ccc"];

    /// <summary>A predictor whose dropout pass scores each text by (seed, text), recording every call.</summary>
    private class SeedEcho(bool supportsDropout = true) : IPredictor
    {
        public List<ForwardMode> Calls { get; } = [];
        public ModelManifest Manifest { get; } = new() { Engine = "echo", Task = "multiclass", Labels = ["x", "y"] };
        public ScoreLink Link => ScoreLink.Softmax;
        public bool SupportsDropout => supportsDropout;

        public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
        {
            Calls.Add(mode);
            return inputs.Select(i => new[] { mode.Seed % 1000, (double)i.Text.Length }).ToArray();
        }

        public void Dispose() { }
    }

    /// <summary>A fused engine: it records the seeds and the cap it was given.</summary>
    private sealed class FusedEcho : SeedEcho, IMultiPassPredictor
    {
        public (ulong[] Seeds, int MaxRows)? Fused { get; private set; }

        public double[][][] PredictDropoutPasses(IReadOnlyList<TextInput> inputs, IReadOnlyList<ulong> passSeeds, int maxRowsPerForward,
            CancellationToken cancellationToken = default)
        {
            Fused = (passSeeds.ToArray(), maxRowsPerForward);
            return passSeeds.Select(s => PredictScores(inputs, ForwardMode.WithDropout(s), cancellationToken)).ToArray();
        }
    }

    [Fact]
    public void Without_a_fused_engine_each_pass_is_one_seeded_dropout_call()
    {
        using var predictor = new SeedEcho();
        var passes = predictor.PredictPasses(Inputs, passes: 4, seed: 9, maxRowsPerForward: 2);
        var seeds = MonteCarloDropout.PassSeeds(9, 4);
        Assert.Equal(seeds.Select(ForwardMode.WithDropout), predictor.Calls);
        Assert.Equal(4, passes.Length);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(Inputs.Length, passes[k].Length);
            Assert.Equal(new[] { seeds[k] % 1000, 2.0 }, passes[k][1]);
        }
    }

    [Fact]
    public void A_fused_engine_gets_the_same_seeds_and_the_cap()
    {
        using var predictor = new FusedEcho();
        var passes = predictor.PredictPasses(Inputs, passes: 3, seed: 9, maxRowsPerForward: 5);
        Assert.Equal(MonteCarloDropout.PassSeeds(9, 3), predictor.Fused!.Value.Seeds);
        Assert.Equal(5, predictor.Fused.Value.MaxRows);
        using var fallback = new SeedEcho();
        Assert.Equal(fallback.PredictPasses(Inputs, passes: 3, seed: 9, maxRowsPerForward: 5), passes);
    }

    [Fact]
    public void Pass_seeds_depend_on_the_seed_only_and_more_passes_extend_fewer()
    {
        var ten = MonteCarloDropout.PassSeeds(42, 10);
        Assert.Equal(ten, MonteCarloDropout.PassSeeds(42, 10));
        Assert.Equal(ten[..4], MonteCarloDropout.PassSeeds(42, 4));
        Assert.Equal(10, ten.Distinct().Count());
        Assert.NotEqual(ten[0], MonteCarloDropout.PassSeeds(43, 1)[0]);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(MonteCarloDropout.MaxPasses + 1, 1)]
    [InlineData(2, 0)]
    [InlineData(2, -3)]
    public void Bad_counts_are_argument_errors_naming_the_argument(int passes, int maxRows)
    {
        using var predictor = new SeedEcho();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => predictor.PredictPasses(Inputs, passes, seed: 1, maxRows));
        Assert.Equal(passes is < 1 or > MonteCarloDropout.MaxPasses ? "passes" : "maxRowsPerForward", error.ParamName);
        Assert.Empty(predictor.Calls);
    }

    [Fact]
    public void A_predictor_without_dropout_is_refused_with_a_clear_message()
    {
        using var predictor = new SeedEcho(supportsDropout: false);
        var error = Assert.Throws<NotSupportedException>(() => predictor.PredictPasses(Inputs, passes: 2, seed: 1, maxRowsPerForward: 4));
        Assert.Contains("echo engine cannot run Monte-Carlo dropout", error.Message);
        Assert.Empty(predictor.Calls);
    }

    [Fact]
    public void Cancellation_stops_between_passes()
    {
        using var predictor = new SeedEcho();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => predictor.PredictPasses(Inputs, passes: 2, seed: 1, maxRowsPerForward: 4, cancel.Token));
        Assert.Empty(predictor.Calls);
    }
}
