using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

// Linked into every test project that downloads from a hub (see their .csproj files).
namespace Classify.Tests.Shared;

/// <summary>
/// A local stand-in for huggingface.co speaking the protocol huggingface_hub relies on: HEAD/GET on
/// <c>/{repo}/resolve/{revision}/{file}</c> with <c>X-Repo-Commit</c>, <c>ETag</c> (git blob sha1) for regular files,
/// a 302 to a separate CDN server with <c>X-Linked-Etag</c> (sha256) and <c>X-Linked-Size</c> for LFS files (*.safetensors),
/// Range requests, 401 for a private repo without its token, 404 + <c>X-Error-Code: EntryNotFound</c> for missing files,
/// and <c>/api/models/{repo}/revision/{rev}</c> listings. Faults can be injected per file.
/// </summary>
internal sealed class FakeHub : IDisposable
{
    public sealed record Repo(string Id, string Commit, Dictionary<string, byte[]> Files, string? Token);

    public sealed record Request(string Server, string Method, string Path, string? Range, string? Authorization);

    private readonly HttpListener _hub;
    private readonly HttpListener _cdn;
    private readonly int _hubPort;
    private readonly int _cdnPort;
    private readonly Dictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public FakeHub()
    {
        (_hub, _hubPort) = Start();
        (_cdn, _cdnPort) = Start();
        _ = Task.Run(() => Serve(_hub, "hub"));
        _ = Task.Run(() => Serve(_cdn, "cdn"));
    }

    public string Endpoint => $"http://127.0.0.1:{_hubPort}";

    public ConcurrentQueue<Request> Log { get; } = new();

    /// <summary>Files whose next GET sends half the bytes and then drops the connection (once each).</summary>
    public ConcurrentDictionary<string, bool> DropHalfwayOnce { get; } = new();

    /// <summary>Files served with one byte flipped (same length), for every GET.</summary>
    public ConcurrentDictionary<string, bool> Corrupt { get; } = new();

    /// <summary>
    /// Files whose HEAD announces this header value instead of their hash: in <c>X-Linked-Etag</c> for LFS files (the
    /// <c>ETag</c> stays the pointer's git hash, as on the Hub), in <c>ETag</c> for regular files.
    /// </summary>
    public ConcurrentDictionary<string, string> AnnouncedEtag { get; } = new();

    public Repo AddRepo(string id, string commit, Dictionary<string, byte[]> files, string? token = null)
    {
        var repo = new Repo(id, commit, files, token);
        lock (_repos) _repos[id] = repo;
        return repo;
    }

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal);

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string GitSha1(byte[] data)
    {
        var header = Encoding.ASCII.GetBytes($"blob {data.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. data]));
    }

    public static string EtagOf(string file, byte[] data) => IsLfs(file) ? Sha256(data) : GitSha1(data);

    private static (HttpListener, int) Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task Serve(HttpListener listener, string server)
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !listener.IsListening) { return; }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            _ = Task.Run(() =>
            {
                try { Handle(context, server); }
                catch (Exception) { try { context.Response.Abort(); } catch (Exception) { } }
            });
        }
    }

    private void Handle(HttpListenerContext context, string server)
    {
        var request = context.Request;
        var response = context.Response;
        var raw = request.RawUrl ?? "/";
        var pathOnly = raw.Split('?')[0];
        Log.Enqueue(new Request(server, request.HttpMethod, pathOnly, request.Headers["Range"], request.Headers["Authorization"]));
        var segments = pathOnly.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();

        if (server == "cdn")
        {
            // /lfs/{org}/{name}/{sha256}
            var repo = Find($"{segments[1]}/{segments[2]}");
            var file = repo?.Files.FirstOrDefault(f => IsLfs(f.Key) && Sha256(f.Value) == segments[3]);
            if (repo is null || file?.Key is null) { Status(response, 404); return; }
            SendContent(request, response, file.Value.Key, file.Value.Value);
            return;
        }

        if (segments.Length >= 5 && segments[0] == "api" && segments[1] == "models" && segments[4] == "revision")
        {
            var repo = Find($"{segments[2]}/{segments[3]}");
            if (repo is null || !Authorized(repo, request)) { Status(response, 401, "RepoNotFound"); return; }
            var json = JsonSerializer.SerializeToUtf8Bytes(new
            {
                id = repo.Id,
                sha = repo.Commit,
                siblings = repo.Files.Keys.Order(StringComparer.Ordinal).Select(f => new { rfilename = f }).ToArray(),
            });
            response.ContentType = "application/json";
            response.ContentLength64 = json.Length;
            response.OutputStream.Write(json);
            response.Close();
            return;
        }

        // /{org}/{name}/resolve/{revision}/{file...}
        if (segments.Length < 5 || segments[2] != "resolve") { Status(response, 404); return; }
        var target = Find($"{segments[0]}/{segments[1]}");
        if (target is null || !Authorized(target, request))
        {
            // The Hub answers 401 both for a missing repository and for a private one without a valid token.
            Status(response, 401, "RepoNotFound");
            return;
        }
        var revision = segments[3];
        if (revision != "main" && revision != target.Commit) { Status(response, 404, "RevisionNotFound"); return; }
        var fileName = string.Join('/', segments[4..]);
        response.Headers["X-Repo-Commit"] = target.Commit;
        if (!target.Files.TryGetValue(fileName, out var content)) { Status(response, 404, "EntryNotFound"); return; }

        if (IsLfs(fileName))
        {
            var sha = Sha256(content);
            response.StatusCode = 302;
            response.Headers["X-Linked-Etag"] = AnnouncedEtag.GetValueOrDefault(fileName) ?? $"\"{sha}\"";
            response.Headers["X-Linked-Size"] = content.Length.ToString();
            response.Headers["ETag"] = $"\"{GitSha1(Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {content.Length}\n"))}\"";
            response.RedirectLocation = $"http://127.0.0.1:{_cdnPort}/lfs/{target.Id}/{sha}?X-Amz-Signature=fake";
            response.ContentLength64 = 0;
            response.Close();
            return;
        }
        response.Headers["ETag"] = AnnouncedEtag.GetValueOrDefault(fileName) ?? $"\"{GitSha1(content)}\"";
        SendContent(request, response, fileName, content);
    }

    private void SendContent(HttpListenerRequest request, HttpListenerResponse response, string fileName, byte[] content)
    {
        if (request.HttpMethod == "GET" && Corrupt.ContainsKey(fileName))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }
        long start = 0;
        var range = request.Headers["Range"];
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1]);
            if (start >= content.Length) { Status(response, 416); return; }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        response.Headers["Accept-Ranges"] = "bytes";
        var length = content.Length - start;
        response.ContentLength64 = length;
        if (request.HttpMethod == "HEAD") { response.Close(); return; }
        if (DropHalfwayOnce.TryRemove(fileName, out _))
        {
            response.OutputStream.Write(content, (int)start, (int)(length / 2));
            response.OutputStream.Flush();
            response.Abort();
            return;
        }
        response.OutputStream.Write(content, (int)start, (int)length);
        response.Close();
    }

    private Repo? Find(string id)
    {
        lock (_repos) return _repos.GetValueOrDefault(id);
    }

    private static bool Authorized(Repo repo, HttpListenerRequest request) =>
        repo.Token is null || request.Headers["Authorization"] == $"Bearer {repo.Token}";

    private static void Status(HttpListenerResponse response, int status, string? errorCode = null)
    {
        response.StatusCode = status;
        if (errorCode is not null) response.Headers["X-Error-Code"] = errorCode;
        response.ContentLength64 = 0;
        response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _hub.Close();
        _cdn.Close();
    }
}
