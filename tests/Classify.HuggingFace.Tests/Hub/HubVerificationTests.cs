using Classify.HuggingFace.Hub;
using Classify.HuggingFace.Tests.SafeTensors;

namespace Classify.HuggingFace.Tests.Hub;

/// <summary>
/// A download is kept only when its bytes match the hash the Hub announced (<c>X-Linked-Etag</c>, else <c>ETag</c>):
/// a SHA-256 for LFS files, a git blob SHA-1 for regular ones. An etag of any other form cannot be checked, so the file
/// is refused instead of trusted (it used to be accepted unchecked, corrupted or not).
/// </summary>
public sealed class HubVerificationTests : IDisposable
{
    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";
    private readonly FakeHub _hub = new();
    private readonly TempDir _cache = new();
    private readonly Dictionary<string, byte[]> _files;

    public HubVerificationTests()
    {
        _files = new[] { "config.json", "vocab.txt", "model.safetensors" }
            .ToDictionary(f => f, f => File.ReadAllBytes(TestPaths.Fixture("tiny-bert", f)));
        _hub.AddRepo("org/tiny-bert", Commit, _files);
    }

    public void Dispose()
    {
        _hub.Dispose();
        _cache.Dispose();
    }

    private HubClient Client() => new(new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache.Path, MaxDownloadAttempts = 2 });

    private string RepoFolder => Path.Combine(_cache.Path, "models--org--tiny-bert");

    private void AssertNothingCached(string file)
    {
        Assert.False(File.Exists(Path.Combine(RepoFolder, "snapshots", Commit, file)), $"{file} reached the snapshot");
        var blobs = Path.Combine(RepoFolder, "blobs");
        Assert.True(!Directory.Exists(blobs) || Directory.GetFiles(blobs).Length == 0,
            $"blobs left behind: {(Directory.Exists(blobs) ? string.Join(", ", Directory.GetFiles(blobs).Select(Path.GetFileName)) : "")}");
    }

    [Theory]
    // A regular file's ETag, and an LFS file's X-Linked-Etag (its ETag stays the pointer's valid-looking git hash).
    [InlineData("config.json", "\"abc-1\"")]
    [InlineData("config.json", "W/\"5a-3f2c9e\"")]
    [InlineData("config.json", "\"d41d8cd98f00b204e9800998ecf8427e\"")]   // an MD5: 32 hex digits
    [InlineData("vocab.txt", "\"0\"")]
    [InlineData("model.safetensors", "\"abc-1\"")]
    [InlineData("model.safetensors", "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"")]   // 63 hex digits
    public async Task A_corrupted_file_behind_an_etag_that_is_not_a_hash_is_refused(string file, string etag)
    {
        _hub.AnnouncedEtag[file] = etag;
        _hub.Corrupt[file] = true;
        using var client = Client();

        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", file));
        Assert.Equal(HubErrorKind.Protocol, e.Kind);
        Assert.Contains(file, e.Message);
        Assert.Contains(HubClient.NormalizeEtag(etag)!, e.Message);
        Assert.Contains("could not be verified", e.Message);
        AssertNothingCached(file);
        // Refused at the HEAD: the bytes are never fetched.
        Assert.DoesNotContain(_hub.Log, r => r.Method == "GET" && r.Path.EndsWith("/" + file, StringComparison.Ordinal));
        Assert.DoesNotContain(_hub.Log, r => r.Server == "cdn");
    }

    [Fact]
    public async Task An_intact_file_behind_an_odd_etag_is_refused_too_but_a_verified_cached_copy_still_serves()
    {
        _hub.AnnouncedEtag["config.json"] = "\"abc-1\"";
        using var client = Client();
        await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", "config.json"));
        AssertNothingCached("config.json");

        // A copy downloaded and verified earlier is what huggingface_hub would fall back to as well.
        _hub.AnnouncedEtag.TryRemove("config.json", out _);
        var verified = await client.DownloadFileAsync("org/tiny-bert", "config.json");
        _hub.AnnouncedEtag["config.json"] = "\"abc-1\"";
        _hub.Corrupt["config.json"] = true;
        Assert.Equal(verified, await client.DownloadFileAsync("org/tiny-bert", "config.json"));
        Assert.Equal(_files["config.json"], File.ReadAllBytes(verified));
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("model.safetensors")]
    public async Task A_hash_that_does_not_match_the_bytes_is_refused_as_corrupted(string file)
    {
        // The announced hash is well formed but belongs to other content.
        var other = FakeHub.EtagOf(file, [.. _files[file], 0]);
        _hub.AnnouncedEtag[file] = $"\"{other}\"";
        using var client = Client();

        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", file));
        Assert.Equal(HubErrorKind.Corrupted, e.Kind);
        Assert.Contains(other, e.Message);
        AssertNothingCached(file);
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("model.safetensors")]
    public async Task An_upper_case_hash_is_checked_like_a_lower_case_one(string file)
    {
        var upper = FakeHub.EtagOf(file, _files[file]).ToUpperInvariant();
        _hub.AnnouncedEtag[file] = $"\"{upper}\"";
        using (var client = Client())
            Assert.Equal(_files[file], File.ReadAllBytes(await client.DownloadFileAsync("org/tiny-bert", file)));

        _hub.Corrupt[file] = true;
        Directory.Delete(RepoFolder, recursive: true);
        using (var client = Client())
        {
            var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadFileAsync("org/tiny-bert", file));
            Assert.Equal(HubErrorKind.Corrupted, e.Kind);
        }
        AssertNothingCached(file);
    }
}
