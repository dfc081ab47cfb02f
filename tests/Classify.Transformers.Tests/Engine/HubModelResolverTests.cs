using System.Collections.Concurrent;
using Classify.Core.IO;
using Classify.HuggingFace.Hub;
using Classify.Transformers.Engine;

using Classify.Tests.Shared;

namespace Classify.Transformers.Tests.Engine;

public sealed class HubModelResolverTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly FakeHub _hub = new();
    private readonly TempDirectory _cache = new();

    public HubModelResolverTests()
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

    private HubModelResolver Resolver(bool offline = false) => new(
        new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache.Sub("hub"), Offline = offline },
        scratchCacheRoot: _cache.Sub("scratch"));

    private sealed class Recorder : IProgress<HubDownloadProgress>
    {
        public ConcurrentBag<HubDownloadProgress> Reports { get; } = new();
        public void Report(HubDownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Hub_id_downloads_a_snapshot_that_a_predictor_loads_and_offline_reuses_it()
    {
        var progress = new Recorder();
        string snapshot;
        using (var resolver = Resolver()) snapshot = await resolver.ResolveAsync("org/tiny-bert", progress: progress);
        Assert.EndsWith(Path.Combine("models--org--tiny-bert", "snapshots", Commit), snapshot);
        Assert.Contains(progress.Reports, r => r.FileName == "model.safetensors");

        using (var predictor = TransformerPredictor.Load(snapshot))
            Assert.Equal(["negative", "neutral", "positive"], predictor.Manifest.Labels);

        using var offline = Resolver(offline: true);
        Assert.Equal(snapshot, await offline.ResolveAsync($"org/tiny-bert@{Commit}"));
    }

    [Fact]
    public async Task Folders_and_scratch_specs_resolve_locally()
    {
        using var resolver = Resolver(offline: true);
        Assert.Equal(TestPaths.Fixture("tiny-bert"), await resolver.ResolveAsync(TestPaths.Fixture("tiny-bert")));
        var scratch = await resolver.ResolveAsync("scratch:bert-tiny", seed: 5);
        Assert.Equal(Path.Combine(_cache.Sub("scratch"), "bert-tiny-seed5"), scratch);
        Assert.DoesNotContain(_hub.Log, r => r.Method == "GET");
    }

    [Fact]
    public async Task Unknown_repository_and_malformed_spec_are_reported()
    {
        using var resolver = Resolver();
        await Assert.ThrowsAsync<HubException>(() => resolver.ResolveAsync("org/missing"));
        var e = await Assert.ThrowsAsync<InputException>(() => resolver.ResolveAsync("not a model at all"));
        Assert.Contains("scratch:", e.Message);
    }
}
