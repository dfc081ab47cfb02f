// Load test of `classify serve`: starts the server as a child process on 127.0.0.1 (so its peak RSS is its own), then
// runs bounded request loops (a fixed number of requests, with a time cap) from N concurrent HTTP clients, one text per
// request, the texts cycling through the tweet test file:
//   1. unloaded: one client, default batching                       -> p50 / p99 latency
//   2. batch-1: --max-batch-size 1 (no batching across requests)    -> throughput, p50 / p99
//   3. dynamic batching (--max-batch-size 64)                       -> throughput, p50 / p99
//   4. overload: 10 x N clients against a small queue and a queue-delay bound (--max-queue-delay-ms)
//                                                                   -> accepted p50 / p99, 429s by reason, peak RSS
// A client that gets 429 waits as the answer's Retry-After says (1 s by default), as a well-behaved client does, and
// sends its next request; --backoff-ms N makes it wait N ms instead (an aggressive client). Prints one JSON object (all figures) to stdout; progress to stderr.
//
// Where a request's CPU goes (scenarios 2 and 3): the server process's CPU time (/proc/PID/stat), the bench process's
// own (the clients), and the model's share — the seconds the server's batch worker spent scoring
// (classify_scoring_seconds_total) — each per answered request. Batching can only shrink the model's share, so with H the
// CPU of the HTTP path (client + Kestrel + JSON, everything but scoring) and M the scoring per text at batch 1, batching
// cannot raise throughput beyond (H + M) / H on a CPU-bound machine (Amdahl); the JSON reports that bound.
//
// The overload's queue-delay bound: --overload-max-queue-delay-ms MS, or by default half the unloaded p99 of
// scenario 1 (at least 0.1 ms). Half, because an accepted request's latency is its wait plus its own batch's scoring and
// HTTP, which are what the unloaded p99 measures; the wait may add about as much again for a p99 within 2x.
// It also limits the requests in flight: --overload-max-concurrent-requests N, by default 2 per core. The queue bound
// cannot help a model cheaper than the HTTP path (the linear one): there the latency of an overload is the many
// requests in Kestrel sharing the cores, and only fewer of them in flight bound it.
//
// dotnet run --project bench/Classify.Bench.Serve -c Release -- --classify-dll PATH/classify.dll --model DIR [--name tweets]
//   [--clients 8] [--requests 2000] [--unloaded-requests 300] [--max-seconds 120] [--overload-queue 16] [--texts FILE]
//   [--overload-max-queue-delay-ms auto] [--overload-max-concurrent-requests auto]
//   [--warmup-seconds 3] (each server is first warmed up for this long with the scenario's clients: JIT tiers, pools)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

var options = Args.Parse(args);
var texts = BenchSupport.ReadTextColumn(options.Texts);
Console.Error.WriteLine($"{texts.Count:N0} texts from {options.Texts}; model {options.Model}");

var results = new Dictionary<string, object>
{
    ["model"] = options.Name,
    ["model_dir"] = options.Model,
    ["clients"] = options.Clients,
    ["requests"] = options.Requests,
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
    ["load_before"] = File.ReadAllText("/proc/loadavg").Split(' ')[..3],
};

// 1. Unloaded latency (default batching, one client).
await using (var server = await Server.StartAsync(options, ["--max-batch-size", "64"]))
{
    await Load.RunAsync(server, texts, 1, int.MaxValue, options.WarmupSeconds, options.BackoffMs);   // warm-up (JIT tiers)
    var r = await Load.RunAsync(server, texts, 1, options.UnloadedRequests, options.MaxSeconds, options.BackoffMs);
    results["unloaded"] = r.Summary();
    Console.Error.WriteLine($"unloaded: {r}");
}
// 2. Batching off; 3. dynamic batching. Both without a queue-delay bound (0): these measure throughput, and every
// request of a closed loop of N clients is accepted anyway.
foreach (var (key, label, batch) in new[] { ("batch1", "batch-1", "1"), ("batched", "batched", "64") })
{
    await using var server = await Server.StartAsync(options, ["--max-batch-size", batch, "--queue-capacity", "100000", "--max-queue-delay-ms", "0"]);
    await Load.RunAsync(server, texts, options.Clients, int.MaxValue, options.WarmupSeconds, options.BackoffMs);
    var before = await server.SnapshotAsync();
    var r = await Load.RunAsync(server, texts, options.Clients, options.Requests, options.MaxSeconds, options.BackoffMs);
    var cost = (await server.SnapshotAsync()).Minus(before).PerRequest(r.Ok + r.TooMany + r.Failed);
    results[key] = r.Summary([("peak_rss_mb", server.PeakRssMb()), ("mean_batch", await server.MeanBatchAsync()), .. cost]);
    Console.Error.WriteLine($"{label}: {r}; {string.Join(", ", cost.Select(c => $"{c.Key} {c.Value}"))}");
}
// The Amdahl bound of batching (see the top): H = what a batch-1 request costs besides scoring.
if (results["batch1"] is Dictionary<string, object> b1 && (double)b1["server_cpu_ms_per_request"] > 0)
{
    double total = (double)b1["server_cpu_ms_per_request"] + (double)b1["client_cpu_ms_per_request"];
    double model = Math.Min((double)b1["model_ms_per_text"], total);
    results["cost_split"] = new Dictionary<string, object>
    {
        ["request_cpu_ms"] = Math.Round(total, 4), ["model_ms_per_text"] = Math.Round(model, 4),
        ["http_cpu_ms"] = Math.Round(total - model, 4), ["model_share"] = Math.Round(model / total, 3),
        ["batching_bound"] = Math.Round(total / Math.Max(total - model, 1e-9), 2),
    };
}
// 4. 10x overload against a small queue and a queue-delay bound.
double unloadedP99 = ((Dictionary<string, object>)results["unloaded"])["p99_ms"] is double p ? p : 0;
double delayBound = options.OverloadMaxQueueDelayMs ?? Math.Max(0.1, Math.Round(unloadedP99 / 2, 2));
int concurrency = options.OverloadMaxConcurrentRequests ?? 2 * Environment.ProcessorCount;
await using (var server = await Server.StartAsync(options, ["--max-batch-size", "64", "--queue-capacity", options.OverloadQueue.ToString(CultureInfo.InvariantCulture),
                 "--max-queue-delay-ms", delayBound.ToString(CultureInfo.InvariantCulture),
                 "--max-concurrent-requests", concurrency.ToString(CultureInfo.InvariantCulture)]))
{
    await Load.RunAsync(server, texts, options.Clients, int.MaxValue, options.WarmupSeconds, options.BackoffMs);
    var before = await server.SnapshotAsync();
    var r = await Load.RunAsync(server, texts, options.Clients * 10, options.Requests, options.MaxSeconds, options.BackoffMs);
    var delta = (await server.SnapshotAsync()).Minus(before);
    // The wait in the batcher's queue (p99, a histogram bucket's upper bound) against the end-to-end p99: what is left
    // is the HTTP path (Kestrel, thread pool, JSON) and the clients, on cores the overload saturates.
    double queueWaitP99 = delta.WaitBuckets.Count == 0 || delta.WaitBuckets[^1].Count == 0 ? double.NaN
        : delta.WaitBuckets.First(b => b.Count >= 0.99 * delta.WaitBuckets[^1].Count).UpperMs;
    results["overload"] = r.Summary(("peak_rss_mb", server.PeakRssMb()), ("queue_capacity", options.OverloadQueue), ("max_queue_delay_ms", delayBound), ("max_concurrent_requests", concurrency),
        ("mean_batch", await server.MeanBatchAsync()), ("rejected", delta.Rejected), ("queue_wait_p99_ms_at_most", queueWaitP99), ("server_alive", server.Alive));
    Console.Error.WriteLine($"overload (bound {delayBound} ms, {concurrency} in flight): {r}; queue wait p99 <= {queueWaitP99} ms; rejected {string.Join(", ", delta.Rejected.Select(kv => $"{kv.Key} {kv.Value}"))}");
}
results["load_after"] = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));

sealed record Args(string ClassifyDll, string Model, string Name, int Clients, int Requests, int UnloadedRequests, double MaxSeconds,
    int OverloadQueue, int BackoffMs, string Texts, double WarmupSeconds, double? OverloadMaxQueueDelayMs, int? OverloadMaxConcurrentRequests)
{
    public static Args Parse(string[] argv)
    {
        var map = new Dictionary<string, string>();
        for (int i = 0; i + 1 < argv.Length; i += 2) map[argv[i]] = argv[i + 1];
        string Get(string key, string fallback) => map.TryGetValue(key, out var v) ? v : fallback;
        var repo = BenchSupport.FindRepoRoot();
        var model = Get("--model", "") is { Length: > 0 } m ? m : throw new ArgumentException("--model DIR is required");
        return new Args(
            Get("--classify-dll", Path.Combine(repo, "src/Classify.Cli/bin/Release/net10.0/classify.dll")),
            Path.GetFullPath(model),
            Get("--name", Path.GetFileName(Path.GetFullPath(model).TrimEnd('/'))),
            int.Parse(Get("--clients", "8"), CultureInfo.InvariantCulture),
            int.Parse(Get("--requests", "2000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--unloaded-requests", "300"), CultureInfo.InvariantCulture),
            double.Parse(Get("--max-seconds", "120"), CultureInfo.InvariantCulture),
            int.Parse(Get("--overload-queue", "16"), CultureInfo.InvariantCulture),
            int.Parse(Get("--backoff-ms", "-1"), CultureInfo.InvariantCulture),
            Get("--texts", Path.Combine(repo, "../shared/data/tweet-sentiment-extraction/test.csv")),
            double.Parse(Get("--warmup-seconds", "3"), CultureInfo.InvariantCulture),
            Get("--overload-max-queue-delay-ms", "auto") is "auto" ? null : double.Parse(Get("--overload-max-queue-delay-ms", "auto"), CultureInfo.InvariantCulture),
            Get("--overload-max-concurrent-requests", "auto") is "auto" ? null : int.Parse(Get("--overload-max-concurrent-requests", "auto"), CultureInfo.InvariantCulture));
    }
}

/// <summary>A `classify serve` child process on a free loopback port.</summary>
sealed class Server : IAsyncDisposable
{
    private readonly Process _process;
    private long _peakKb;

    private Server(Process process, HttpClient client)
    {
        _process = process;
        Client = client;
    }

    public HttpClient Client { get; }

    public static async Task<Server> StartAsync(Args options, string[] extra)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true,
        };
        foreach (var a in new[] { options.ClassifyDll, "serve", "--model", $"{options.Name}={options.Model}", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture) }.Concat(extra))
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.Error.WriteLine("  [serve] " + line); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1000, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
        var server = new Server(process, client);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"classify serve exited with {process.ExitCode}");
            try
            {
                if ((await client.GetAsync("readyz")).StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("classify serve did not become ready");
            await Task.Delay(100);
        }
        return server;
    }

    /// <summary>The server process's peak resident set (VmHWM), in MB.</summary>
    public double PeakRssMb()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                _peakKb = Math.Max(_peakKb, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        return Math.Round(_peakKb / 1024.0, 1);
    }

    /// <summary>Texts per model call, from the server's own metrics.</summary>
    public async Task<double> MeanBatchAsync()
    {
        var text = await Client.GetStringAsync("metrics");
        var count = Metric(text, "classify_batch_size_count");
        return count == 0 ? 0 : Math.Round(Metric(text, "classify_batch_size_sum") / count, 2);
    }

    /// <summary>False once the server process has exited (crashed: it is only stopped by <see cref="DisposeAsync"/>).</summary>
    public bool Alive => !_process.HasExited;

    // The sum of a metric's samples (over all label sets) whose labels contain `labels`.
    private static double Metric(string text, string name, string labels = "") =>
        text.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(labels, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>CPU seconds of the server process and of this one (the clients), the server's scoring seconds and texts, 429s by reason.</summary>
    public async Task<Snapshot> SnapshotAsync()
    {
        var text = await Client.GetStringAsync("metrics");
        // /proc/PID/stat: utime and stime are fields 14 and 15, in clock ticks (100 a second on Linux); the name field
        // (2) is in parentheses and may hold spaces, so count from the last ')'.
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double serverCpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        var rejected = new[] { "queue_full", "queue_delay", "expired", "concurrency" }.ToDictionary(r => r, r => Metric(text, "classify_rejected_total", $"reason=\"{r}\""));
        // Cumulative bucket counts of classify_queue_wait_seconds, by upper bound (ms), +Inf last.
        var buckets = text.Split('\n').Where(l => l.StartsWith("classify_queue_wait_seconds_bucket{", StringComparison.Ordinal))
            .Select(l =>
            {
                var le = l[(l.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
                le = le[..le.IndexOf('"')];
                return (UpperMs: le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture) * 1000,
                    Count: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            }).OrderBy(b => b.UpperMs).ToList();
        return new Snapshot(serverCpu, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            Metric(text, "classify_scoring_seconds_total"), Metric(text, "classify_texts_total"), rejected, buckets);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            Signal.Term(_process.Id);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(60))) _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>Cumulative counters of a server and the bench process at one moment (see <see cref="Server.SnapshotAsync"/>).</summary>
sealed record Snapshot(double ServerCpu, double ClientCpu, double ScoringSeconds, double Texts, Dictionary<string, double> Rejected,
    List<(double UpperMs, double Count)> WaitBuckets)
{
    public Snapshot Minus(Snapshot before) => new(ServerCpu - before.ServerCpu, ClientCpu - before.ClientCpu, ScoringSeconds - before.ScoringSeconds,
        Texts - before.Texts, Rejected.ToDictionary(kv => kv.Key, kv => kv.Value - before.Rejected.GetValueOrDefault(kv.Key)),
        WaitBuckets.Select(b => (b.UpperMs, b.Count - before.WaitBuckets.FirstOrDefault(x => x.UpperMs == b.UpperMs).Count)).ToList());

    /// <summary>Per request: server and client CPU ms; the model's scoring ms per text (worker wall time).</summary>
    public (string Key, object Value)[] PerRequest(int requests) =>
    [
        ("server_cpu_ms_per_request", Math.Round(ServerCpu * 1000 / Math.Max(1, requests), 4)),
        ("client_cpu_ms_per_request", Math.Round(ClientCpu * 1000 / Math.Max(1, requests), 4)),
        ("model_ms_per_text", Math.Round(ScoringSeconds * 1000 / Math.Max(1, Texts), 4)),
    ];
}

static class Signal
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Term(int pid) => kill(pid, 15);
}

sealed record LoadResult(int Ok, int TooMany, int Failed, double Seconds, double[] LatenciesMs)
{
    public double Throughput => Ok / Seconds;
    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0) return double.NaN;
        var sorted = LatenciesMs.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public Dictionary<string, object> Summary(params (string Key, object Value)[] extra)
    {
        var d = new Dictionary<string, object>
        {
            ["ok"] = Ok, ["status_429"] = TooMany, ["failed"] = Failed, ["seconds"] = Math.Round(Seconds, 2),
            ["throughput_rps"] = Math.Round(Throughput, 1), ["p50_ms"] = Math.Round(Percentile(50), 2), ["p99_ms"] = Math.Round(Percentile(99), 2),
        };
        foreach (var (k, v) in extra) d[k] = v;
        return d;
    }

    public override string ToString() =>
        $"{Ok} ok, {TooMany} × 429, {Failed} failed in {Seconds:0.0} s: {Throughput:0.0} req/s, p50 {Percentile(50):0.0} ms, p99 {Percentile(99):0.0} ms";
}

static class Load
{
    /// <summary>
    /// <paramref name="clients"/> loops sending one-text requests until <paramref name="requests"/> have been answered 200
    /// (or <paramref name="maxSeconds"/> pass); 429s are counted and do not count as answered.
    /// </summary>
    public static async Task<LoadResult> RunAsync(Server server, IReadOnlyList<string> texts, int clients, int requests, double maxSeconds, int backoffMs)
    {
        int next = -1, ok = 0, tooMany = 0, failed = 0;
        var latencies = new double[Math.Min(requests, 1_000_000)];
        var watch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(maxSeconds);
        async Task Client()
        {
            while (watch.Elapsed < deadline && Volatile.Read(ref ok) < requests)
            {
                int i = Interlocked.Increment(ref next);
                var body = JsonSerializer.Serialize(new { texts = new[] { texts[i % texts.Count] } });
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await server.Client.PostAsync("v1/classify", new StringContent(body, Encoding.UTF8, "application/json"));
                    await response.Content.ReadAsByteArrayAsync();
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        int slot = Interlocked.Increment(ref ok) - 1;
                        if (slot < latencies.Length) latencies[slot] = ms;
                    }
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref tooMany);
                        // A well-behaved client waits as Retry-After says, unless --backoff-ms sets a fixed (aggressive) wait.
                        var wait = backoffMs >= 0 ? TimeSpan.FromMilliseconds(backoffMs) : response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        await Task.Delay(wait);
                    }
                    else Interlocked.Increment(ref failed);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
        var seconds = watch.Elapsed.TotalSeconds;
        int answered = Math.Min(ok, latencies.Length);
        return new LoadResult(answered, tooMany, failed, seconds, latencies[..answered]);
    }
}
