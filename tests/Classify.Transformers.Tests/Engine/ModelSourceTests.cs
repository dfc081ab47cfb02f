using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.HuggingFace.Hub;
using Classify.Transformers.Engine;
using Classify.Transformers.Training;

namespace Classify.Transformers.Tests.Engine;

/// <summary>The scratch source, and the hub source feeding a predictor; both as <see cref="IModelSource"/>s.</summary>
public sealed class ModelSourceTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task Scratch_specs_resolve_locally_with_the_seed_of_the_options()
    {
        var source = new ScratchModelSource(_cache.Sub("scratch"));
        Assert.Equal("scratch", source.Name);
        Assert.True(source.Recognizes("scratch:bert-tiny"));
        Assert.False(source.Recognizes("org/bert-tiny"));
        var dir = await source.ResolveAsync("scratch:bert-tiny", new ModelSourceOptions { Seed = 5 }, CancellationToken.None);
        Assert.Equal(Path.Combine(_cache.Sub("scratch"), "bert-tiny-seed5"), dir);
        await Assert.ThrowsAsync<InputException>(() => source.ResolveAsync("scratch:gpt-huge", new ModelSourceOptions(), CancellationToken.None));
    }

    [Fact]
    public void Register_adds_the_engine_with_its_trainer_and_the_scratch_source()
    {
        TransformerEngine.Register();
        TransformerEngine.Register();   // idempotent
        Assert.Single(ModelEngines.All, e => e.Name == "transformer");
        Assert.Single(ModelSources.All, s => s.Name == "scratch");
        Assert.IsType<TransformerTrainer>(ModelEngines.TrainerFor("transformer"));
        // A local path is never a spec: no source is asked.
        var missing = Assert.Throws<InputException>(() => ModelSources.Resolve("./no-such-folder"));
        Assert.Contains("no such local folder", missing.Message);
    }

    [Fact]
    public async Task A_hub_snapshot_loads_in_a_predictor()
    {
        using var hub = new FakeHub();
        var files = Directory.GetFiles(TestPaths.Fixture("tiny-bert")).Where(f => Path.GetFileName(f) != "golden.json")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        hub.AddRepo("org/tiny-bert", Commit, files);
        var source = new HubModelSource(new HubOptions { Endpoint = hub.Endpoint, CacheDirectory = _cache.Sub("hub") });
        var snapshot = await source.ResolveAsync("org/tiny-bert", new ModelSourceOptions(), CancellationToken.None);
        using var predictor = TransformerPredictor.Load(snapshot);
        Assert.Equal(["negative", "neutral", "positive"], predictor.Manifest.Labels);
    }
}
