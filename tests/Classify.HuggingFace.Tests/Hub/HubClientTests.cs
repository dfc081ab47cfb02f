using Classify.Core.IO;
using Classify.HuggingFace.Hub;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tests.SafeTensors;

using Classify.Tests.Shared;

namespace Classify.HuggingFace.Tests.Hub;

public sealed class HubClientTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly FakeHub _hub = new();
    private readonly TempDir _cache = new();
    private readonly Dictionary<string, byte[]> _bert;

    public HubClientTests()
    {
        _bert = Directory.GetFiles(TestPaths.Fixture("tiny-bert"))
            .Where(f => Path.GetFileName(f) != "golden.json")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        _hub.AddRepo("org/tiny-bert", Commit, _bert);
    }

    public void Dispose()
    {
        _hub.Dispose();
        _cache.Dispose();
    }

    private HubClient Client(bool offline = false, string? token = null, int attempts = 5) => new(new HubOptions
    {
        Endpoint = _hub.Endpoint,
        CacheDirectory = _cache.Path,
        Offline = offline,
        Token = token,
        MaxDownloadAttempts = attempts,
    });

    private string RepoFolder => Path.Combine(_cache.Path, "models--org--tiny-bert");

    [Fact]
    public async Task Snapshot_download_fills_the_huggingface_hub_cache_layout()
    {
        using var client = Client();
        var snapshot = await client.SnapshotDownloadAsync("org/tiny-bert");

        Assert.Equal(Path.Combine(RepoFolder, "snapshots", Commit), snapshot);
        Assert.Equal(Commit, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));
        foreach (var (name, content) in _bert)
        {
            var pointer = Path.Combine(snapshot, name);
            Assert.Equal(content, File.ReadAllBytes(pointer));
            var link = new FileInfo(pointer).LinkTarget;
            Assert.Equal($"../../blobs/{FakeHub.EtagOf(name, content)}", link);
            Assert.True(File.Exists(Path.Combine(RepoFolder, "blobs", FakeHub.EtagOf(name, content))));
        }
        // LFS blobs are named by sha256, regular files by git blob sha1.
        Assert.Equal(64, Path.GetFileName(new FileInfo(Path.Combine(snapshot, "model.safetensors")).LinkTarget)!.Length);
        Assert.Equal(40, Path.GetFileName(new FileInfo(Path.Combine(snapshot, "config.json")).LinkTarget)!.Length);
        // Optional files the repo lacks are remembered as missing, as huggingface_hub does.
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", Commit, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", Commit, "merges.txt")));
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoFolder, "blobs"), "*.incomplete"));

        using var checkpoint = SafeTensorsCheckpoint.Open(snapshot);
        Assert.Equal(41, checkpoint.Tensors.Count);

        // The LFS body came from the CDN, without the token and after a HEAD on the Hub.
        Assert.Contains(_hub.Log, r => r.Server == "cdn" && r.Method == "GET");
        Assert.Contains(_hub.Log, r => r.Server == "hub" && r.Method == "HEAD" && r.Path == "/org/tiny-bert/resolve/main/config.json");
    }

    [Fact]
    public async Task A_filled_cache_is_used_offline_and_pinned_commits_need_no_network()
    {
        using (var online = Client()) await online.SnapshotDownloadAsync("org/tiny-bert");
        _hub.Log.Clear();

        using var offline = Client(offline: true);
        var snapshot = await offline.SnapshotDownloadAsync("org/tiny-bert");
        Assert.Equal(Path.Combine(RepoFolder, "snapshots", Commit), snapshot);
        Assert.Equal(_bert["vocab.txt"], File.ReadAllBytes(await offline.DownloadFileAsync("org/tiny-bert", "vocab.txt")));
        Assert.Null(await offline.TryDownloadFileAsync("org/tiny-bert", "tokenizer.json"));
        Assert.Empty(_hub.Log);

        using var online2 = Client();
        var pinned = await online2.DownloadFileAsync($"org/tiny-bert@{Commit}", "config.json");
        Assert.Equal(Path.Combine(RepoFolder, "snapshots", Commit, "config.json"), pinned);
        Assert.Empty(_hub.Log);

        // With a branch name the Hub is asked for the commit (HEAD) but nothing is downloaded again.
        await online2.SnapshotDownloadAsync("org/tiny-bert");
        Assert.DoesNotContain(_hub.Log, r => r.Method == "GET");
        Assert.Contains(_hub.Log, r => r.Method == "HEAD");
    }

    [Fact]
    public async Task Offline_without_a_cached_copy_says_so()
    {
        using var client = Client(offline: true);
        var e = await Assert.ThrowsAsync<HubException>(() => client.SnapshotDownloadAsync("org/tiny-bert"));
        Assert.Equal(HubErrorKind.NotCached, e.Kind);
        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        Assert.Contains(RepoFolder, e.Message);
        Assert.Empty(_hub.Log);
    }

    [Fact]
    public async Task A_dropped_connection_is_resumed_with_a_range_request()
    {
        _hub.DropHalfwayOnce["model.safetensors"] = true;
        using var client = Client();
        var path = await client.DownloadFileAsync("org/tiny-bert", "model.safetensors");
        Assert.Equal(_bert["model.safetensors"], File.ReadAllBytes(path));
        var gets = _hub.Log.Where(r => r.Server == "cdn").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Equal($"bytes={_bert["model.safetensors"].Length / 2}-", gets[1].Range);
    }

    [Fact]
    public async Task An_interrupted_download_resumes_in_a_later_call()
    {
        _hub.DropHalfwayOnce["vocab.txt"] = true;
        using (var client = Client(attempts: 1))
        {
            var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", "vocab.txt"));
            Assert.Equal(HubErrorKind.Network, e.Kind);
            Assert.Contains("resume", e.Message);
        }
        var incomplete = Path.Combine(RepoFolder, "blobs", FakeHub.GitSha1(_bert["vocab.txt"]) + ".incomplete");
        Assert.Equal(_bert["vocab.txt"].Length / 2, new FileInfo(incomplete).Length);
        Assert.False(File.Exists(Path.Combine(RepoFolder, "snapshots", Commit, "vocab.txt")));

        using var again = Client(attempts: 1);
        var path = await again.DownloadFileAsync("org/tiny-bert", "vocab.txt");
        Assert.Equal(_bert["vocab.txt"], File.ReadAllBytes(path));
        Assert.Equal($"bytes={_bert["vocab.txt"].Length / 2}-", _hub.Log.Last(r => r.Method == "GET").Range);
        Assert.False(File.Exists(incomplete));
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("config.json")]
    public async Task A_corrupted_download_is_detected_and_discarded(string file)
    {
        _hub.Corrupt[file] = true;
        using var client = Client();
        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", file));
        Assert.Equal(HubErrorKind.Corrupted, e.Kind);
        Assert.Contains(FakeHub.EtagOf(file, _bert[file]), e.Message);
        Assert.False(File.Exists(Path.Combine(RepoFolder, "snapshots", Commit, file)));
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoFolder, "blobs")));

        _hub.Corrupt.TryRemove(file, out _);
        Assert.Equal(_bert[file], File.ReadAllBytes(await client.DownloadFileAsync("org/tiny-bert", file)));
    }

    [Theory]
    [InlineData("../etc", "config.json")]
    [InlineData("org/../x", "config.json")]
    [InlineData("a/b/c", "config.json")]
    [InlineData("org\\name", "config.json")]
    [InlineData("org--x/name", "config.json")]
    [InlineData("/abs/name", "config.json")]
    [InlineData("org/tiny-bert", "../../../../etc/passwd")]
    [InlineData("org/tiny-bert", "/etc/passwd")]
    [InlineData("org/tiny-bert", "a\\..\\b")]
    [InlineData("org/tiny-bert", "sub/../../x")]
    [InlineData("org/tiny-bert", "./config.json")]
    [InlineData("org/tiny-bert@../../x", "config.json")]
    public async Task Path_traversal_is_refused_before_any_request(string repo, string file)
    {
        using var client = Client();
        await Assert.ThrowsAsync<InputException>(() => client.DownloadFileAsync(repo, file));
        Assert.Empty(_hub.Log);
        Assert.False(Directory.Exists(RepoFolder) && Directory.EnumerateFileSystemEntries(RepoFolder).Any());
    }

    [Fact]
    public async Task A_private_repo_needs_the_token_which_never_reaches_the_cdn()
    {
        _hub.AddRepo("org/private", Commit, new Dictionary<string, byte[]>(_bert), token: "hf_secret");
        using (var anonymous = Client())
        {
            var e = await Assert.ThrowsAsync<HubException>(() => anonymous.SnapshotDownloadAsync("org/private"));
            Assert.Equal(HubErrorKind.Unauthorized, e.Kind);
            Assert.Contains("HF_TOKEN", e.Message);
        }
        _hub.Log.Clear();
        using var client = Client(token: "hf_secret");
        var snapshot = await client.SnapshotDownloadAsync("org/private");
        Assert.True(File.Exists(Path.Combine(snapshot, "model.safetensors")));
        Assert.All(_hub.Log.Where(r => r.Server == "hub"), r => Assert.Equal("Bearer hf_secret", r.Authorization));
        Assert.All(_hub.Log.Where(r => r.Server == "cdn"), r => Assert.Null(r.Authorization));
        Assert.Contains(_hub.Log, r => r.Server == "cdn");
    }

    [Fact]
    public async Task Missing_files_and_revisions_are_reported()
    {
        using var client = Client();
        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", "nope.bin"));
        Assert.Equal(HubErrorKind.NotFound, e.Kind);
        Assert.Null(await client.TryDownloadFileAsync("org/tiny-bert", "nope.bin"));
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", Commit, "nope.bin")));
        var rev = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", "config.json", "v9"));
        Assert.Contains("no revision 'v9'", rev.Message);

        _hub.AddRepo("org/pickled", Commit, new() { ["config.json"] = _bert["config.json"], ["pytorch_model.bin"] = [1, 2, 3] });
        var pickled = await Assert.ThrowsAsync<HubException>(() => client.SnapshotDownloadAsync("org/pickled"));
        Assert.Contains("safetensors", pickled.Message);
    }

    [Fact]
    public async Task Sharded_checkpoints_and_patterns_download_what_they_list()
    {
        using var shardDir = new TempDir();
        using (var file = SafeTensorsFile.Open(TestPaths.Fixture("tiny-roberta", "model.safetensors")))
            SafeTensorsWriter.WriteSharded(shardDir.Path,
                file.Tensors.Values.Select(t => new SafeTensorsEntry(t.Name, t.DType, t.Shape, file.GetBytes(t.Name).ToArray())), 30_000);
        var files = Directory.GetFiles(shardDir.Path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        foreach (var f in new[] { "config.json", "vocab.json", "merges.txt" })
            files[f] = File.ReadAllBytes(TestPaths.Fixture("tiny-roberta", f));
        _hub.AddRepo("org/sharded", Commit, files);

        using var client = Client();
        var snapshot = await client.SnapshotDownloadAsync("org/sharded");
        using (var checkpoint = SafeTensorsCheckpoint.Open(snapshot))
        {
            Assert.True(checkpoint.IsSharded);
            Assert.Equal(files.Keys.Count(k => k.StartsWith("model-")), checkpoint.Files.Count);
        }

        var jsonOnly = await client.SnapshotDownloadAsync("org/tiny-bert", files: ["*.json"]);
        Assert.Equal(["config.json", "special_tokens_map.json", "tokenizer_config.json"],
            Directory.GetFiles(jsonOnly).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains(_hub.Log, r => r.Path == "/api/models/org/tiny-bert/revision/main");

        using var offline = Client(offline: true);
        Assert.Equal(jsonOnly, await offline.SnapshotDownloadAsync("org/tiny-bert", files: ["*.json"]));
    }

    [Fact]
    public async Task Concurrent_downloads_of_one_blob_share_it()
    {
        using var client = Client();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.DownloadFileAsync("org/tiny-bert", "model.safetensors")));
        Assert.All(results, p => Assert.Equal(_bert["model.safetensors"], File.ReadAllBytes(p)));
        Assert.Single(Directory.GetFiles(Path.Combine(RepoFolder, "blobs")));
    }

    [Fact]
    public void Options_follow_the_huggingface_hub_environment_rules()
    {
        Assert.True(HubOptions.IsTrue("1"));
        Assert.True(HubOptions.IsTrue("yes"));
        Assert.False(HubOptions.IsTrue("0"));
        Assert.Equal("models--answerdotai--ModernBERT-base", HubRepoId.Parse("answerdotai/ModernBERT-base").CacheFolderName);
        var withRevision = HubRepoId.Parse("org/name@v1.0");
        Assert.Equal(("org/name", "v1.0"), (withRevision.Id, withRevision.Revision));
        Assert.True(HubRepoId.LooksLikeRepoId("org/name"));
        Assert.False(HubRepoId.LooksLikeRepoId("./runs/model"));
        Assert.Equal("abc", HubClientEtag("W/\"abc\""));
        Assert.True(HubClientMatches("*.json", "sub/config.json"));
        Assert.True(HubClientMatches("onnx/", "onnx/model.onnx"));
        Assert.False(HubClientMatches("*.json", "model.safetensors"));
    }

    private static string? HubClientEtag(string etag) => HubClient.NormalizeEtag(etag);

    private static bool HubClientMatches(string pattern, string path) => HubClient.Matches(pattern, path);
}
