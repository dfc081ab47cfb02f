using Classify.Core.Configuration;
using Classify.Core.Runs;
using Classify.Transformers.Engine;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>The shipped example configs parse and prepare (data loaded, every option validated, split made; nothing trained or written).</summary>
public sealed class ExampleConfigTests : IDisposable
{
    private readonly string _runs = TestPaths.NewTempDirectory();

    public void Dispose()
    {
        try { Directory.Delete(_runs, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void The_emotions_uncertainty_example_prepares_with_its_recipe()
    {
        TransformerEngine.Register();
        var repo = TestPaths.RepoRoot;
        var config = ExperimentConfig.Load(Path.Combine(repo, "examples", "emotions-uncertainty.yaml"),
        [
            $"runs_dir={_runs}",
            $"data.path={Path.Combine(repo, "data", "goemotions", "goemotions.csv")}",
            $"data.labels_file={Path.Combine(repo, "data", "goemotions", "emotions.txt")}",
        ]);

        Assert.Equal("transformer", config.Engine);
        Assert.Equal(50, config.Uncertainty!.McSamples);
        Assert.True(config.TuneThresholds);
        Assert.True(config.Calibration.PerLabel);
        var prepared = new Experiment(config).Prepare();

        Assert.Equal(28, prepared.Schema.Labels.Count);
        Assert.True(prepared.Schema.IsMultilabel);
        Assert.False(Directory.Exists(Path.Combine(_runs, config.Name)), "Prepare writes nothing");
    }
}
