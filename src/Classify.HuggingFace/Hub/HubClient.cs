using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Classify.Core.IO;

namespace Classify.HuggingFace.Hub;

/// <summary>
/// Downloads model files from the Hugging Face Hub (or any server speaking its protocol, via
/// <see cref="HubOptions.Endpoint"/>) into the huggingface_hub cache layout (<see cref="HubCache"/>), so a cache
/// filled by Python is reused without network and the other way round. The protocol is the one of
/// huggingface_hub's <c>hf_hub_download</c>: a HEAD on <c>/{repo}/resolve/{revision}/{file}</c> gives the
/// commit (<c>X-Repo-Commit</c>), the blob id (<c>X-Linked-Etag</c>, else <c>ETag</c>), the size
/// (<c>X-Linked-Size</c>, else <c>Content-Length</c>) and, for LFS files, a redirect to the CDN; the GET then
/// streams into <c>blobs/&lt;etag&gt;.incomplete</c>, resumes with a <c>Range</c> header after a broken
/// transfer, checks size and hash, and moves the blob into place. A file whose etag is neither a SHA-256 nor a git
/// SHA-1 is refused, since its content could not be checked.
/// </summary>
public sealed partial class HubClient : IDisposable
{
    /// <summary>The files a sequence classifier needs, in download order. Only config.json and the weights are required.</summary>
    public static IReadOnlyList<string> ClassifierFiles { get; } =
    [
        "config.json", "model.safetensors", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt",
    ];

    private const string DefaultRevision = "main";
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    /// <summary>
    /// Creates a client. <paramref name="options"/> defaults to <see cref="HubOptions.FromEnvironment"/>;
    /// <paramref name="handler"/> replaces the HTTP stack (it must not follow redirects itself).
    /// </summary>
    public HubClient(HubOptions? options = null, HttpMessageHandler? handler = null)
    {
        Options = options ?? HubOptions.FromEnvironment();
        _endpoint = new Uri(Options.Endpoint.TrimEnd('/') + "/");
        Cache = new HubCache(Options.CacheDirectory);
        // Redirects are followed by hand: HEAD only follows same-host redirects, and the token must not travel to the CDN.
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectTimeout = Options.MetadataTimeout,
            })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("classify/0.1 (huggingface_hub-compatible)");
    }

    /// <summary>The options in use.</summary>
    public HubOptions Options { get; }

    /// <summary>The local cache.</summary>
    public HubCache Cache { get; }

    /// <summary>
    /// Downloads one file (or finds it in the cache) and returns its path inside the snapshot folder.
    /// <paramref name="repoId"/> may carry <c>@revision</c>; <paramref name="revision"/> wins when both are given.
    /// Throws <see cref="HubException"/> (kind <see cref="HubErrorKind.NotFound"/> when the file does not exist).
    /// </summary>
    public async Task<string> DownloadFileAsync(string repoId, string fileName, string? revision = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var repo = HubRepoId.Parse(repoId);
        var result = await FetchAsync(repo, revision ?? repo.Revision ?? DefaultRevision, fileName, progress, cancellationToken).ConfigureAwait(false);
        return result.Path ?? throw NotFound(repo, fileName, revision ?? repo.Revision ?? DefaultRevision);
    }

    /// <summary>As <see cref="DownloadFileAsync"/>, but returns null when the file does not exist in the repository.</summary>
    public async Task<string?> TryDownloadFileAsync(string repoId, string fileName, string? revision = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var repo = HubRepoId.Parse(repoId);
        var result = await FetchAsync(repo, revision ?? repo.Revision ?? DefaultRevision, fileName, progress, cancellationToken).ConfigureAwait(false);
        return result.Path;
    }

    /// <summary>
    /// Downloads several files of one commit and returns the snapshot folder (<c>snapshots/&lt;commit&gt;</c>).
    /// With <paramref name="files"/> null, fetches what a classifier needs: <c>config.json</c>, the weights
    /// (<c>model.safetensors</c>, or the index and every shard it lists) and whichever tokenizer files exist.
    /// Otherwise each entry is a file name (required) or an fnmatch pattern such as <c>*.json</c> (matched against
    /// the repository listing, or the cached snapshot when offline).
    /// </summary>
    public async Task<string> SnapshotDownloadAsync(string repoId, string? revision = null, IEnumerable<string>? files = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var repo = HubRepoId.Parse(repoId);
        var rev = revision ?? repo.Revision ?? DefaultRevision;
        HubRepoId.ValidateRevision(rev);
        return files is null
            ? await ClassifierSnapshotAsync(repo, rev, progress, cancellationToken).ConfigureAwait(false)
            : await PatternSnapshotAsync(repo, rev, files.ToList(), progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> ClassifierSnapshotAsync(HubRepoId repo, string revision, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        // config.json pins the commit; every later file is fetched at that commit so the snapshot is consistent.
        var config = await FetchAsync(repo, revision, "config.json", progress, ct).ConfigureAwait(false);
        if (config.Path is null) throw NotFound(repo, "config.json", revision);
        var commit = config.Commit;

        var weights = await FetchAsync(repo, commit, "model.safetensors", progress, ct).ConfigureAwait(false);
        if (weights.Path is null)
        {
            var index = await FetchAsync(repo, commit, "model.safetensors.index.json", progress, ct).ConfigureAwait(false);
            if (index.Path is null)
                throw new HubException(HubErrorKind.NotFound,
                    $"{repo.Id}@{revision} has no model.safetensors or model.safetensors.index.json. Classify loads safetensors " +
                    "weights only (pickled pytorch_model.bin files run code when loaded); convert the model with " +
                    "save_pretrained(dir, safe_serialization=True) and upload the result.", 404);
            foreach (var shard in ShardNames(index.Path))
                if ((await FetchAsync(repo, commit, shard, progress, ct).ConfigureAwait(false)).Path is null)
                    throw NotFound(repo, shard, commit);
        }
        foreach (var file in ClassifierFiles.Skip(3))
            await FetchAsync(repo, commit, file, progress, ct).ConfigureAwait(false);
        return Cache.SnapshotFolder(repo, commit);
    }

    private static IEnumerable<string> ShardNames(string indexPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InputException("expected a 'weight_map' object", indexPath, field: "weight_map");
        return map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToList();
    }

    private async Task<string> PatternSnapshotAsync(HubRepoId repo, string revision, List<string> entries, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        var patterns = entries.Where(IsPattern).ToList();
        var names = entries.Where(e => !IsPattern(e)).ToList();
        foreach (var n in names) HubRepoId.ValidateFileName(n);

        string commit;
        var wanted = new List<string>(names);
        if (Options.Offline)
        {
            commit = Cache.ResolveCommit(repo, revision) ?? throw NotCached(repo, revision, names.FirstOrDefault() ?? string.Join(", ", patterns));
            var folder = Cache.SnapshotFolder(repo, commit);
            if (patterns.Count > 0 && Directory.Exists(folder))
                wanted.AddRange(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
                    .Where(f => patterns.Any(p => Matches(p, f))));
        }
        else if (patterns.Count > 0)
        {
            var (sha, siblings) = await ListFilesAsync(repo, revision, ct).ConfigureAwait(false);
            commit = sha;
            Cache.WriteRef(repo, revision, commit);
            wanted.AddRange(siblings.Where(f => patterns.Any(p => Matches(p, f))));
        }
        else
        {
            if (names.Count == 0) throw new ArgumentException("no files or patterns given", nameof(entries));
            var first = await FetchAsync(repo, revision, names[0], progress, ct).ConfigureAwait(false);
            if (first.Path is null) throw NotFound(repo, names[0], revision);
            commit = first.Commit;
        }

        foreach (var file in wanted.Distinct(StringComparer.Ordinal))
            if ((await FetchAsync(repo, commit, file, progress, ct).ConfigureAwait(false)).Path is null)
                throw NotFound(repo, file, revision);
        return Cache.SnapshotFolder(repo, commit);
    }

    private async Task<(string Sha, List<string> Files)> ListFilesAsync(HubRepoId repo, string revision, CancellationToken ct)
    {
        var url = new Uri(_endpoint, $"api/models/{repo.Id}/revision/{Uri.EscapeDataString(revision)}");
        using var request = NewRequest(HttpMethod.Get, url, withToken: true);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw StatusError(response, repo, "(file listing)", revision);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
        var sha = doc.RootElement.TryGetProperty("sha", out var s) ? s.GetString() : null;
        if (sha is null || !HubCache.IsCommitHash(sha))
            throw new HubException(HubErrorKind.Protocol, $"the listing of {repo.Id}@{revision} from {url} has no commit sha");
        var files = doc.RootElement.TryGetProperty("siblings", out var sib)
            ? sib.EnumerateArray().Select(e => e.GetProperty("rfilename").GetString()!).ToList()
            : [];
        return (sha, files);
    }

    /// <summary>The path of a file (null when the Hub says it does not exist) and the commit it belongs to.</summary>
    private readonly record struct FetchResult(string? Path, string Commit);

    private sealed record FileMetadata(string Commit, string Etag, long Size, Uri Location);

    private async Task<FetchResult> FetchAsync(HubRepoId repo, string revision, string fileName, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        HubRepoId.ValidateFileName(fileName);
        HubRepoId.ValidateRevision(revision);
        if (Options.Offline) return FromCacheOrThrow(repo, revision, fileName, null);

        // A commit hash never moves: a file already in its snapshot needs no network at all.
        if (HubCache.IsCommitHash(revision))
        {
            var pinned = Cache.SnapshotPath(repo, revision, fileName);
            if (File.Exists(pinned)) return new FetchResult(pinned, revision);
        }

        FileMetadata metadata;
        try
        {
            var head = await HeadAsync(repo, revision, fileName, ct).ConfigureAwait(false);
            if (head is null) return new FetchResult(null, Cache.ResolveCommit(repo, revision) ?? revision);
            metadata = head;
        }
        catch (HubException e) when (e.Kind is HubErrorKind.Network or HubErrorKind.Unauthorized or HubErrorKind.Protocol)
        {
            // As huggingface_hub: when the Hub cannot be asked, the cached copy for that revision is good enough.
            return FromCacheOrThrow(repo, revision, fileName, e);
        }

        Cache.WriteRef(repo, revision, metadata.Commit);
        var pointer = Cache.SnapshotPath(repo, metadata.Commit, fileName);
        if (File.Exists(pointer)) return new FetchResult(pointer, metadata.Commit);

        var blob = Cache.BlobPath(repo, metadata.Etag);
        if (!File.Exists(blob))
        {
            using var fileLock = await AcquireLockAsync(Cache.LockPath(repo, metadata.Etag), ct).ConfigureAwait(false);
            if (!File.Exists(blob))
                await DownloadBlobAsync(repo, fileName, metadata, blob, progress, ct).ConfigureAwait(false);
        }
        if (!File.Exists(pointer)) HubCache.Link(blob, pointer);
        return new FetchResult(pointer, metadata.Commit);
    }

    private FetchResult FromCacheOrThrow(HubRepoId repo, string revision, string fileName, HubException? cause)
    {
        var cached = Cache.TryGetFile(repo, fileName, revision);
        if (cached is not null) return new FetchResult(cached, Cache.ResolveCommit(repo, revision)!);
        if (Cache.IsKnownMissing(repo, fileName, revision)) return new FetchResult(null, Cache.ResolveCommit(repo, revision)!);
        if (cause is not null) throw cause;
        throw NotCached(repo, revision, fileName);
    }

    private Uri ResolveUrl(HubRepoId repo, string revision, string fileName) =>
        new(_endpoint, $"{repo.Id}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', fileName.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>The HEAD call of <c>get_hf_file_metadata</c>; null when the file does not exist (404).</summary>
    private async Task<FileMetadata?> HeadAsync(HubRepoId repo, string revision, string fileName, CancellationToken ct)
    {
        var url = ResolveUrl(repo, revision, fileName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.MetadataTimeout);
        for (var hop = 0; ; hop++)
        {
            using var request = NewRequest(HttpMethod.Head, url, withToken: true);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HubException(HubErrorKind.Network, $"the Hub at {Options.Endpoint} did not answer within {Options.MetadataTimeout.TotalSeconds:0} s (HEAD {url})");
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                var location = response.Headers.Location;
                // Follow relative redirects only (a renamed repository); an absolute one is the CDN and is the download URL.
                if (status is >= 300 and < 400 && location is not null && (!location.IsAbsoluteUri || SameAuthority(location, _endpoint)) && hop < 10)
                {
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    continue;
                }
                if (status == 404)
                {
                    var commit404 = Header(response, "X-Repo-Commit");
                    var errorCode = Header(response, "X-Error-Code");
                    if (commit404 is not null && HubCache.IsCommitHash(commit404) && errorCode is null or "EntryNotFound")
                    {
                        Cache.MarkMissing(repo, commit404, fileName);
                        Cache.WriteRef(repo, revision, commit404);
                        return null;
                    }
                    if (errorCode == "EntryNotFound") return null;
                    throw StatusError(response, repo, fileName, revision);
                }
                if (status >= 400) throw StatusError(response, repo, fileName, revision);

                var commit = Header(response, "X-Repo-Commit");
                var etag = NormalizeEtag(Header(response, "X-Linked-Etag") ?? Header(response, "ETag"));
                var sizeText = Header(response, "X-Linked-Size") ?? response.Content.Headers.ContentLength?.ToString(CultureInfo.InvariantCulture);
                if (commit is null || !HubCache.IsCommitHash(commit))
                    throw new HubException(HubErrorKind.Protocol, $"{url} answered without an X-Repo-Commit header: {Options.Endpoint} does not look like a Hugging Face Hub (check HF_ENDPOINT, proxy and firewall)");
                if (string.IsNullOrEmpty(etag))
                    throw new HubException(HubErrorKind.Protocol, $"{url} answered without an ETag (X-Linked-Etag or ETag); the download could not be verified");
                // The etag is the only hash the Hub gives for the content (X-Xet-Hash is a chunk Merkle hash, not a
                // content digest); a file that cannot be checked is refused rather than trusted.
                if (!ContentHash().IsMatch(etag))
                    throw new HubException(HubErrorKind.Protocol,
                        $"{fileName} of {repo.Id}@{revision}: {url} announced the ETag '{Truncate(etag, 80)}' ({(Header(response, "X-Linked-Etag") is null ? "ETag" : "X-Linked-Etag")}), " +
                        "which is neither a SHA-256 nor a git SHA-1 of the content, so the download could not be verified and was refused. " +
                        "Check HF_ENDPOINT and any proxy in between: the Hugging Face Hub sends one of the two.");
                if (!long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    throw new HubException(HubErrorKind.Protocol, $"{url} answered without a size (X-Linked-Size or Content-Length)");
                var downloadUrl = status is >= 300 and < 400 && location is not null ? new Uri(url, location) : url;
                return new FileMetadata(commit, etag, size, downloadUrl);
            }
        }
    }

    private async Task DownloadBlobAsync(HubRepoId repo, string fileName, FileMetadata metadata, string blob, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var incomplete = blob + ".incomplete";
        for (var attempt = 1; ; attempt++)
        {
            var resumeFrom = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (resumeFrom > metadata.Size)
            {
                File.Delete(incomplete);
                resumeFrom = 0;
            }
            if (resumeFrom == metadata.Size) break;
            try
            {
                await TransferAsync(repo, fileName, metadata, incomplete, resumeFrom, progress, ct).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when ((e is IOException or HttpRequestException || e is HubException { Kind: HubErrorKind.Network }) && !ct.IsCancellationRequested)
            {
                if (attempt >= Options.MaxDownloadAttempts)
                    throw new HubException(HubErrorKind.Network,
                        $"downloading {fileName} of {repo.Id} failed after {attempt} attempts ({e.Message}); run again to resume from {new FileInfo(incomplete).Length} bytes",
                        inner: e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
            }
        }

        var length = new FileInfo(incomplete).Length;
        if (length != metadata.Size)
        {
            File.Delete(incomplete);
            throw new HubException(HubErrorKind.Corrupted, $"{fileName} of {repo.Id}: received {length} bytes, the Hub announced {metadata.Size}; the partial file was deleted, run again");
        }
        var actual = await HashAsync(incomplete, metadata.Etag, ct).ConfigureAwait(false);
        if (!string.Equals(actual, metadata.Etag, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(incomplete);
            throw new HubException(HubErrorKind.Corrupted,
                $"{fileName} of {repo.Id} is corrupted: its hash is {actual} but the Hub announced {metadata.Etag}; the download was deleted, run again");
        }
        File.Move(incomplete, blob, overwrite: false);
    }

    private async Task TransferAsync(HubRepoId repo, string fileName, FileMetadata metadata, string incomplete, long resumeFrom, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        var url = metadata.Location;
        for (var hop = 0; ; hop++)
        {
            // The token goes to the Hub only; a CDN URL is pre-signed.
            using var request = NewRequest(HttpMethod.Get, url, withToken: SameAuthority(url, _endpoint));
            if (resumeFrom > 0) request.Headers.Range = new RangeHeaderValue(resumeFrom, null);
            using var response = await SendAsync(request, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } next && hop < 10)
            {
                url = new Uri(url, next);
                continue;
            }
            if (status == 416)
            {
                File.Delete(incomplete);
                throw new IOException("the server refused to resume the download (416); restarting");
            }
            if (!response.IsSuccessStatusCode) throw StatusError(response, repo, fileName, metadata.Commit);

            var append = resumeFrom > 0 && status == 206 && response.Content.Headers.ContentRange?.From == resumeFrom;
            var position = append ? resumeFrom : 0;
            await using var source = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var target = new FileStream(incomplete, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long lastReport = -1;
            int read;
            while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                position += read;
                if (position - lastReport >= 1 << 20)
                {
                    progress?.Report(new HubDownloadProgress(repo.Id, fileName, position, metadata.Size));
                    lastReport = position;
                }
            }
            await target.FlushAsync(ct).ConfigureAwait(false);
            target.Flush(flushToDisk: true);
            progress?.Report(new HubDownloadProgress(repo.Id, fileName, position, metadata.Size));
            if (position < metadata.Size) throw new IOException($"the connection closed after {position} of {metadata.Size} bytes");
            return;
        }
    }

    /// <summary>
    /// The hash the etag should equal, in lower-case hex: SHA-256 of the content for LFS files (64 hex digits), the git
    /// blob SHA-1 (<c>sha1("blob &lt;size&gt;\0" + content)</c>) for regular files (40 hex digits).
    /// </summary>
    /// <exception cref="ArgumentException">The etag has neither length (<see cref="HeadAsync"/> refuses such files).</exception>
    internal static async Task<string> HashAsync(string path, string etag, CancellationToken ct)
    {
        if (etag.Length is not (40 or 64)) throw new ArgumentException($"'{etag}' is not a SHA-256 or git SHA-1", nameof(etag));
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        if (etag.Length == 64)
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) sha1.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url, bool withToken)
    {
        var request = new HttpRequestMessage(method, url);
        if (withToken && !string.IsNullOrEmpty(Options.Token))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new HubException(HubErrorKind.Network, $"cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)}: {e.Message}", inner: e);
        }
    }

    private static async Task<IDisposable> AcquireLockAsync(string lockPath, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                // Another process (or task) is downloading the same blob.
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    private static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    /// <summary>huggingface_hub's <c>_normalize_etag</c>: drop a weak <c>W/</c> prefix and the quotes.</summary>
    internal static string? NormalizeEtag(string? etag)
    {
        if (etag is null) return null;
        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }

    private static bool IsPattern(string entry) => entry.IndexOfAny(['*', '?', '[']) >= 0 || entry.EndsWith('/');

    /// <summary>fnmatch as huggingface_hub uses it: <c>*</c> also crosses <c>/</c>; a trailing <c>/</c> means the whole folder.</summary>
    internal static bool Matches(string pattern, string path)
    {
        if (pattern.EndsWith('/')) pattern += "*";
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*': regex.Append(".*"); break;
                case '?': regex.Append('.'); break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0) { regex.Append(@"\["); break; }
                    var set = pattern[(i + 1)..close];
                    regex.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = close;
                    break;
                default: regex.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return Regex.IsMatch(path, regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private HubException StatusError(HttpResponseMessage response, HubRepoId repo, string fileName, string revision)
    {
        var status = (int)response.StatusCode;
        var code = Header(response, "X-Error-Code");
        var message = Header(response, "X-Error-Message");
        var what = $"{fileName} of {repo.Id}@{revision}";
        return status switch
        {
            401 or 403 => new HubException(HubErrorKind.Unauthorized,
                $"{what}: the Hub refused access ({status}{(code is null ? "" : ", " + code)}). The repository may be private or gated, or " +
                (string.IsNullOrEmpty(Options.Token) ? "need a token: set HF_TOKEN to a Hugging Face access token." : "the token in HF_TOKEN lacks access to it."), status),
            404 => new HubException(HubErrorKind.NotFound,
                code == "RevisionNotFound" ? $"{repo.Id} has no revision '{revision}'" : $"{what} not found ({code ?? "repository or file does not exist"})", status),
            _ => new HubException(HubErrorKind.Network, $"{what}: the Hub answered {status} {response.ReasonPhrase}{(message is null ? "" : ": " + message)}", status),
        };
    }

    private static HubException NotFound(HubRepoId repo, string fileName, string revision) =>
        new(HubErrorKind.NotFound, $"{fileName} does not exist in {repo.Id}@{revision}", 404);

    private HubException NotCached(HubRepoId repo, string revision, string fileName) =>
        new(HubErrorKind.NotCached,
            $"offline mode (HF_HUB_OFFLINE) is on and {fileName} of {repo.Id}@{revision} is not in the cache at {Cache.RepoFolder(repo)}. " +
            "Download it once with network access (unset HF_HUB_OFFLINE), or point HF_HUB_CACHE at a cache that holds it.");

    /// <summary>A SHA-256 (LFS files) or git blob SHA-1 (regular files) in hex: the etags the content can be checked against, and safe as a blob file name.</summary>
    [GeneratedRegex("^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$")]
    private static partial Regex ContentHash();

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _http.Dispose();
}
