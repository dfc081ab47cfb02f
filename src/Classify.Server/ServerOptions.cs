using Classify.Core.IO;

namespace Classify.Server;

/// <summary>One model to serve: the name clients ask for and the package folder.</summary>
/// <param name="Name">The name in <c>"model"</c> of a request and in <c>GET /v1/models</c>.</param>
/// <param name="Directory">The package folder (a linear or ONNX package, or an Optimum-style ONNX folder).</param>
public sealed record ModelSpec(string Name, string Directory)
{
    /// <summary>
    /// Parses <c>[name=]DIR</c> as written after <c>--model</c>. Without a name, the folder's name is used, or its
    /// parent's when the folder is called <c>model</c> (<c>runs/tweets/model</c> → <c>tweets</c>).
    /// </summary>
    /// <exception cref="InputException">An empty spec or name, or a name with characters other than letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.</exception>
    public static ModelSpec Parse(string spec, string field = "--model")
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec)) throw new InputException("expected [name=]DIR, got an empty value", field: field);
        int eq = spec.IndexOf('=');
        if (eq > 0 && IsName(spec[..eq]))
        {
            var dir = spec[(eq + 1)..];
            if (dir.Length == 0) throw new InputException($"'{spec}' names no folder after '='", field: field);
            return new ModelSpec(spec[..eq], dir);
        }
        if (eq == 0) throw new InputException($"'{spec}' has an empty name before '='", field: field);
        var full = Path.GetFullPath(spec).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var name = Path.GetFileName(full);
        if (name == "model" && Path.GetFileName(Path.GetDirectoryName(full) ?? "") is { Length: > 0 } parent) name = parent;
        name = new string(name.Select(c => IsNameChar(c) ? c : '-').ToArray());
        return new ModelSpec(name.Length == 0 ? "model" : name, spec);
    }

    /// <summary>True for a valid model name: 1–64 letters, digits, <c>.</c>, <c>_</c> or <c>-</c>.</summary>
    public static bool IsName(string name) => name.Length is > 0 and <= 64 && name.All(IsNameChar);

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}

/// <summary>
/// Settings of a <see cref="ClassifyServer"/>: what to serve, where to listen, micro-batching, queue and request limits,
/// API keys and drain time. The defaults suit one small machine; every value is checked by <see cref="Validate"/>.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The models to serve; the first is the default for requests that name none.</summary>
    public IReadOnlyList<ModelSpec> Models { get; init; } = [];

    /// <summary>The address to listen on (default <c>127.0.0.1</c>: this machine only; <c>0.0.0.0</c> for every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port (default 8080; 0 picks a free port, see <see cref="ClassifyServer.Addresses"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The accepted API keys; empty (the default) serves without authentication.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>
    /// Most texts scored together in one call of the model (default 64; 1 disables batching across requests); a text
    /// asking for Monte-Carlo samples counts once per sample.
    /// </summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>
    /// How long the batcher waits for more texts once one arrives, in milliseconds (default 0: it takes what is queued
    /// and scores at once). Under load batches form anyway: while the model is busy, requests queue up and the next
    /// batch takes them all. A few milliseconds trade unloaded latency for larger batches at moderate load.
    /// </summary>
    public int MaxBatchWaitMs { get; init; }

    /// <summary>
    /// Most texts accepted but not yet scored, per model (default 1024; a text counts once per Monte-Carlo sample it asks
    /// for); beyond it requests get 429 with <c>Retry-After</c>.
    /// </summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>
    /// Most time a request may wait in a model's queue before its batch starts, in milliseconds (default 100; 0 turns
    /// the bound off). The capacity bounds the queue in texts, but what a client feels is time, and a full queue's wait
    /// depends on the model's speed; this bounds it directly. A request is refused with 429 at admission when the texts
    /// ahead of it would keep the model busy longer than this at the measured scoring rate (<see cref="ScoringRate"/>),
    /// and a request that still waited longer by the time its batch forms gets 429 instead of being scored. Under
    /// overload, accepted requests then wait at most about this long, and the rest are told to retry at once instead
    /// of piling up. Must exceed <see cref="MaxBatchWaitMs"/>.
    /// </summary>
    public double MaxQueueDelayMs { get; init; } = 100;

    /// <summary>
    /// Most <c>POST /v1/classify</c> requests handled at once, all models together (default 0: no limit); beyond it a
    /// request gets 429 with <c>Retry-After</c> before its body is read. The queue-delay bound limits the wait for the
    /// model; this limits the wait for the CPU: when a model costs less than the HTTP work around it (a linear model),
    /// overload latency comes from many requests sharing the cores in Kestrel and JSON rather than from the batcher's
    /// queue, and only fewer requests in flight bound it (Little's law: latency = requests in flight / throughput). A
    /// few times the number of cores keeps the cores busy.
    /// </summary>
    public int MaxConcurrentRequests { get; init; }

    /// <summary>
    /// Intra-op threads of each ONNX model's session (null, the default: one per core). On a machine whose cores also
    /// run the HTTP work (and perhaps the clients), 1 leaves a core to them and costs less CPU per text (no hand-offs
    /// between threads inside each operator); more threads answer a lone request sooner.
    /// </summary>
    public int? OnnxThreads { get; init; }

    /// <summary>Largest request body in bytes (default 1 MiB); larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>Most texts in one request (default 256); more get 400.</summary>
    public int MaxTextsPerRequest { get; init; } = 256;

    /// <summary>Most characters (UTF-16 code units) in one text (default 20,000); a longer text gets 400.</summary>
    public int MaxCharsPerText { get; init; } = 20_000;

    /// <summary>
    /// Most Monte-Carlo samples a request may ask for (default 100); only ONNX packages exported with
    /// <c>--mc-dropout</c> take samples above 1.
    /// </summary>
    public int MaxMcSamples { get; init; } = 100;

    /// <summary>How long a stop (SIGTERM, Ctrl+C) waits for accepted requests to finish (default 30 s).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The seconds in <c>Retry-After</c> of a 429 (default 1).</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Where the server's own messages go (listening, models loaded, draining); null: nowhere.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Test hook: awaited by a model's batcher before it scores each batch.</summary>
    internal Func<CancellationToken, Task>? BeforeBatch { get; init; }

    /// <summary>Test hook: the clock of queue waits and scoring times (null: <see cref="TimeProvider.System"/>).</summary>
    internal TimeProvider? Clock { get; init; }

    /// <summary>Checks every value; the message names the option (as the CLI spells it).</summary>
    /// <exception cref="InputException">The first bad value.</exception>
    public void Validate()
    {
        if (Models.Count == 0) throw new InputException("give at least one model to serve", field: "--model");
        var duplicate = Models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InputException($"two models are named '{duplicate.Key}'; name them: --model NAME=DIR", field: "--model");
        foreach (var m in Models)
            if (!ModelSpec.IsName(m.Name)) throw new InputException($"bad model name '{m.Name}' (letters, digits, '.', '_', '-'; at most 64)", field: "--model");
        if (string.IsNullOrWhiteSpace(Host)) throw new InputException("must not be empty", field: "--host");
        if (Port is < 0 or > 65535) throw new InputException($"must be from 0 to 65535, got {Port}", field: "--port");
        if (MaxBatchSize < 1) throw new InputException($"must be at least 1, got {MaxBatchSize}", field: "--max-batch-size");
        if (MaxBatchWaitMs < 0) throw new InputException($"must be at least 0, got {MaxBatchWaitMs}", field: "--max-batch-wait-ms");
        if (QueueCapacity < 1) throw new InputException($"must be at least 1, got {QueueCapacity}", field: "--queue-capacity");
        if (!(MaxQueueDelayMs >= 0) || double.IsInfinity(MaxQueueDelayMs))
            throw new InputException($"must be a number of milliseconds, at least 0, got {MaxQueueDelayMs}", field: "--max-queue-delay-ms");
        if (MaxQueueDelayMs > 0 && MaxQueueDelayMs <= MaxBatchWaitMs)
            throw new InputException($"must exceed --max-batch-wait-ms ({MaxBatchWaitMs}), got {MaxQueueDelayMs} (0 turns the bound off)", field: "--max-queue-delay-ms");
        if (MaxConcurrentRequests < 0) throw new InputException($"must be at least 0, got {MaxConcurrentRequests}", field: "--max-concurrent-requests");
        if (OnnxThreads is < 1) throw new InputException($"must be at least 1, got {OnnxThreads}", field: "--onnx-threads");
        if (MaxRequestBodyBytes < 64) throw new InputException($"must be at least 64, got {MaxRequestBodyBytes}", field: "--max-body-bytes");
        if (MaxTextsPerRequest < 1) throw new InputException($"must be at least 1, got {MaxTextsPerRequest}", field: "--max-texts");
        if (MaxCharsPerText < 1) throw new InputException($"must be at least 1, got {MaxCharsPerText}", field: "--max-chars");
        if (MaxMcSamples < 1) throw new InputException($"must be at least 1, got {MaxMcSamples}", field: "--max-mc-samples");
        if (DrainTimeout < TimeSpan.Zero) throw new InputException("must not be negative", field: "--drain-seconds");
        if (ApiKeys.Any(string.IsNullOrEmpty)) throw new InputException("an API key is empty", field: "--api-key-file");
    }

    /// <summary>
    /// Reads an API key file: one key per line; blank lines and lines starting with <c>#</c> are skipped, surrounding
    /// white space is trimmed.
    /// </summary>
    /// <exception cref="InputException">The file is missing or holds no key.</exception>
    public static IReadOnlyList<string> ReadApiKeys(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InputException("API key file not found", path, field: "--api-key-file");
        var keys = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (keys.Length == 0) throw new InputException("no key in the file (one key per line)", path, field: "--api-key-file");
        return keys;
    }
}
