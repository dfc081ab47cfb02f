using System.Collections.Concurrent;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Hub;
using Classify.HuggingFace.Tests.SafeTensors;

namespace Classify.HuggingFace.Tests.Inference;

public sealed class HubModelSourceTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly FakeHub _hub = new();
    private readonly TempDir _cache = new();

    public HubModelSourceTests()
    {
        var files = Directory.GetFiles(TestPaths.Fixture("tiny-bert"))
            .Where(f => Path.GetFileName(f) != "golden.json")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        _hub.AddRepo("org/tiny-bert", Commit, files);
    }

    public void Dispose()
    {
        _hub.Dispose();
        _cache.Dispose();
    }

    private HubModelSource Source(bool offline = false) =>
        new(new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache.Path, Offline = offline });

    private sealed class Recorder : IProgress<ProgressUpdate>
    {
        public ConcurrentBag<ProgressUpdate> Reports { get; } = new();
        public void Report(ProgressUpdate value) => Reports.Add(value);
    }

    [Fact]
    public async Task Hub_id_downloads_a_snapshot_with_byte_progress_per_file_and_offline_reuses_it()
    {
        var progress = new Recorder();
        var snapshot = await Source().ResolveAsync("org/tiny-bert", new ModelSourceOptions { Progress = progress }, CancellationToken.None);
        Assert.EndsWith(Path.Combine("models--org--tiny-bert", "snapshots", Commit), snapshot);
        Assert.True(File.Exists(Path.Combine(snapshot, "model.safetensors")));
        var weights = new FileInfo(Path.Combine(TestPaths.Fixture("tiny-bert"), "model.safetensors")).Length;
        var last = progress.Reports.Where(r => r.Stage == "download org/tiny-bert/model.safetensors").MaxBy(r => r.Completed)!;
        Assert.Equal(weights, last.Completed);
        Assert.Equal(weights, last.Total);

        Assert.Equal(snapshot, await Source(offline: true).ResolveAsync($"org/tiny-bert@{Commit}", new ModelSourceOptions(), CancellationToken.None));
    }

    [Fact]
    public async Task Recognizes_hub_ids_only_and_reports_failures()
    {
        var source = Source();
        Assert.Equal("hub", source.Name);
        Assert.True(source.Recognizes("org/name"));
        Assert.True(source.Recognizes("org/name@v1.0"));
        Assert.False(source.Recognizes("scratch:bert-tiny"));
        Assert.False(source.Recognizes("/abs/path"));
        Assert.False(source.Recognizes("not a model at all"));
        await Assert.ThrowsAsync<HubException>(() => source.ResolveAsync("org/missing", new ModelSourceOptions(), CancellationToken.None));
    }

    [Fact]
    public void Through_the_registry_local_paths_never_reach_the_hub()
    {
        ModelSources.Register(Source());
        try
        {
            Assert.Equal(TestPaths.Fixture("tiny-bert"), ModelSources.Resolve(TestPaths.Fixture("tiny-bert")));
            Assert.Throws<InputException>(() => ModelSources.Resolve("./org/tiny-bert"));
            Assert.DoesNotContain(_hub.Log, r => r.Method == "GET");
            Assert.EndsWith(Commit, ModelSources.Resolve("org/tiny-bert"));
        }
        finally
        {
            HubModelSource.Register();   // back to the environment's settings
        }
    }
}
