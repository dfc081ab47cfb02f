using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Classify.Server;

/// <summary>
/// The Classify HTTP service (<c>classify serve</c>): an ASP.NET Core minimal API over linear and ONNX packages.
/// <code>
/// await using var server = ClassifyServer.Create(new ServerOptions { Models = [ModelSpec.Parse("runs/tweets/model")], Port = 0 });
/// await server.StartAsync();
/// Console.WriteLine(server.BaseAddress);   // http://127.0.0.1:PORT/
/// </code>
/// Endpoints: <c>POST /v1/classify</c>, <c>GET /v1/models</c> (both behind the API keys, if any), <c>/healthz</c>,
/// <c>/readyz</c>, <c>/metrics</c> (Prometheus), <c>/openapi/v1.json</c> and the demo page at <c>/</c>.
/// Stopping (<see cref="StopAsync"/>, SIGTERM, a cancelled <see cref="RunAsync"/>) drains: new requests are refused,
/// accepted ones are answered.
/// </summary>
public sealed class ClassifyServer : IAsyncDisposable
{
    private static readonly string[] KnownEndpoints = ["/", "/healthz", "/readyz", "/metrics", "/openapi/v1.json", "/v1/models", "/v1/classify"];
    private static readonly JsonSerializerOptions Json = PredictionJson.Options;

    private readonly WebApplication _app;
    private readonly Dictionary<string, (ServedModel Model, MicroBatcher Batcher)> _models;
    private readonly ApiKeys _keys;
    private volatile bool _ready;
    private volatile bool _draining;
    private int _inFlight;
    private int _stopped;

    private ClassifyServer(ServerOptions options, IReadOnlyList<ServedModel> models)
    {
        Options = options;
        Models = models;
        Metrics = new ServerMetrics();
        _keys = new ApiKeys(options.ApiKeys);
        _models = models.ToDictionary(m => m.Name, m => (m, new MicroBatcher(m, options, Metrics)), StringComparer.Ordinal);
        _app = Build();
    }

    /// <summary>The settings the server runs with.</summary>
    public ServerOptions Options { get; }

    /// <summary>The loaded models, the default first.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>The server's Prometheus metrics.</summary>
    public ServerMetrics Metrics { get; }

    /// <summary>True once started and until draining begins (what <c>/readyz</c> answers).</summary>
    public bool Ready => _ready && !_draining;

    /// <summary>True once stopping began: new requests get 503.</summary>
    public bool Draining => _draining;

    /// <summary>The addresses listened on (after <see cref="StartAsync"/>), e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>The first address, with a trailing slash (for <see cref="HttpClient.BaseAddress"/>).</summary>
    public Uri BaseAddress => new(Addresses.First().TrimEnd('/') + "/");

    /// <summary>
    /// Checks <paramref name="options"/> and loads every model (linear and ONNX only; see <see cref="ServedModel.Load"/>).
    /// Nothing listens until <see cref="StartAsync"/>.
    /// </summary>
    /// <exception cref="Core.IO.InputException">Bad options, or a model that cannot be served.</exception>
    public static ClassifyServer Create(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var loaded = new List<ServedModel>();
        try
        {
            foreach (var spec in options.Models)
            {
                var watch = Stopwatch.StartNew();
                var model = ServedModel.Load(spec, options.OnnxThreads);
                loaded.Add(model);
                options.Log?.Invoke($"loaded {model.Name} ({model.Engine}, {model.Classifier.Schema.Kind.ToName()}, {model.Classifier.Schema.Count} labels) " +
                                    $"from {model.Directory} in {watch.Elapsed.TotalSeconds:0.0} s");
            }
            return new ClassifyServer(options, loaded);
        }
        catch
        {
            foreach (var m in loaded) m.Dispose();
            throw;
        }
    }

    /// <summary>Starts listening; <see cref="Ready"/> from then on.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        _ready = true;
        Options.Log?.Invoke($"listening on {string.Join(", ", Addresses)}" + (_keys.Open ? "" : $" ({Options.ApiKeys.Count} API key(s) required on /v1/)"));
    }

    /// <summary>
    /// Starts, serves until <paramref name="cancellationToken"/> is cancelled or the host is told to stop (SIGTERM,
    /// Ctrl+C), then drains (<see cref="StopAsync"/>).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => stop.TrySetResult()))
        await using (lifetime.ApplicationStopping.Register(() => stop.TrySetResult()))
            await stop.Task.ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Drains and stops: <c>/readyz</c> answers 503 and new requests get 503 at once; the listener closes; accepted
    /// requests are scored and answered (up to <see cref="ServerOptions.DrainTimeout"/>); then the models are released.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _draining = true;
        Options.Log?.Invoke("draining: refusing new requests, finishing accepted ones");
        using (var timeout = new CancellationTokenSource(Options.DrainTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Options.Log?.Invoke($"drain timeout ({Options.DrainTimeout.TotalSeconds:0} s) reached");
            }
        }
        foreach (var (_, batcher) in _models.Values) await batcher.DisposeAsync().ConfigureAwait(false);
        foreach (var model in Models) model.Dispose();
        Options.Log?.Invoke("stopped");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ClassifyServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(Options.Host.Contains(':') ? $"[{Options.Host}]" : Options.Host)}:{Options.Port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = Options.MaxRequestBodyBytes;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = Options.DrainTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(c => c.SuppressStatusMessages = true);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Classify";
            document.Info.Description = "Text classification with Classify linear and ONNX packages.";
            return Task.CompletedTask;
        }));
        var app = builder.Build();
        app.Lifetime.ApplicationStopping.Register(() => _draining = true);

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            var endpoint = KnownEndpoints.Contains(path) ? path : "other";
            long start = Stopwatch.GetTimestamp();
            try
            {
                if (path.StartsWith("/v1/", StringComparison.Ordinal) && !_keys.Open && !_keys.Matches(ApiKeys.FromRequest(context.Request)))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await WriteError(context, StatusCodes.Status401Unauthorized,
                        "missing or wrong API key (send Authorization: Bearer KEY or X-API-Key: KEY)").ConfigureAwait(false);
                    return;
                }
                await next(context).ConfigureAwait(false);
                if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null or 0)
                {
                    // The framework's own refusals (no such path, wrong method, wrong content type) as JSON errors too.
                    var message = context.Response.StatusCode switch
                    {
                        StatusCodes.Status404NotFound => $"no such endpoint: {path}",
                        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {path}",
                        StatusCodes.Status415UnsupportedMediaType => "send the body as JSON with Content-Type: application/json",
                        var other => $"HTTP {other}",
                    };
                    await WriteError(context, context.Response.StatusCode, message).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                Options.Log?.Invoke($"error: {context.Request.Method} {path}: {e}");
                await WriteError(context, StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name})").ConfigureAwait(false);
            }
            finally
            {
                Metrics.Requests.WithLabels(endpoint, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
                Metrics.Duration.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        });

        app.MapGet("/", (HttpContext context) => DemoPage.Write(context)).ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Json(new StatusResponse("ok"), Json))
            .WithTags("operations").WithSummary("Liveness: 200 while the process runs.").Produces<StatusResponse>();
        app.MapGet("/readyz", () => Ready ? Results.Json(new StatusResponse("ready"), Json)
                : Results.Json(new StatusResponse(_draining ? "draining" : "loading"), Json, statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithTags("operations").WithSummary("Readiness: 200 once the models are loaded and the server listens; 503 while draining.")
            .Produces<StatusResponse>().Produces<StatusResponse>(StatusCodes.Status503ServiceUnavailable);
        app.MapMetrics("/metrics", Metrics.Registry);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapGet("/v1/models", () => Results.Json(ListModels(), Json))
            .WithTags("classify").WithSummary("The served models.").Produces<ModelsResponse>().Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);
        app.MapPost("/v1/classify", (HttpContext context, CancellationToken _) => ClassifyAsync(context))
            .WithTags("classify").WithSummary("Classify texts: one prediction per text, as classify predict --format json writes them.")
            .Accepts<ClassifyRequest>("application/json")
            .Produces<ClassifyResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private ModelsResponse ListModels() => new()
    {
        Models = Models.Select((m, i) => new ModelInfo
        {
            Name = m.Name, Default = i == 0, Engine = m.Engine, Task = m.Classifier.Schema.Kind.ToName(), Labels = m.Classifier.Schema.Labels,
            McSamples = m.DefaultUncertainty.McSamples, SupportsMcSamples = m.SamplesProblem(2) is null, Abstain = m.Classifier.Manifest.Abstain is not null,
        }).ToArray(),
    };

    private async Task ClassifyAsync(HttpContext context)
    {
        if (_draining)
        {
            await WriteError(context, StatusCodes.Status503ServiceUnavailable, "the server is shutting down").ConfigureAwait(false);
            return;
        }
        // Checked before the body is read, so that a refusal costs as little as possible: for a model cheaper than the
        // HTTP path, the requests in flight (not the batcher's queue) are what makes latency grow under overload.
        if (Options.MaxConcurrentRequests > 0 && Interlocked.Increment(ref _inFlight) > Options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inFlight);
            await TooBusy(context, "*", "concurrency",
                $"the server is busy: {Options.MaxConcurrentRequests} requests in flight already; retry later").ConfigureAwait(false);
            return;
        }
        try
        {
            await ClassifyAdmittedAsync(context).ConfigureAwait(false);
        }
        finally
        {
            if (Options.MaxConcurrentRequests > 0) Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ClassifyAdmittedAsync(HttpContext context)
    {
        ParsedRequest request;
        try
        {
            if (context.Request.ContentLength > Options.MaxRequestBodyBytes)
            {
                await WriteError(context, StatusCodes.Status413PayloadTooLarge, TooLarge()).ConfigureAwait(false);
                return;
            }
            using var document = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 32 }, context.RequestAborted)
                .ConfigureAwait(false);
            request = ParseRequest(document.RootElement);
        }
        catch (BadHttpRequestException e)
        {
            await WriteError(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge() : e.Message).ConfigureAwait(false);
            return;
        }
        catch (JsonException e)
        {
            await WriteError(context, StatusCodes.Status400BadRequest, $"malformed JSON: {FirstLine(e.Message)}").ConfigureAwait(false);
            return;
        }
        catch (InvalidOperationException)
        {
            // JsonDocument checks UTF-8 inside strings only when they are read.
            await WriteError(context, StatusCodes.Status400BadRequest, "malformed JSON: invalid UTF-8 text").ConfigureAwait(false);
            return;
        }
        catch (RequestProblem e)
        {
            await WriteError(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
            return;
        }

        var name = request.Model ?? Models[0].Name;
        if (!_models.TryGetValue(name, out var served))
        {
            await WriteError(context, StatusCodes.Status404NotFound,
                $"unknown model '{name}' (served: {string.Join(", ", Models.Select(m => m.Name))})").ConfigureAwait(false);
            return;
        }
        var uncertainty = served.Model.DefaultUncertainty;
        if (request.McSamples is { } samples)
        {
            if (served.Model.SamplesProblem(samples) is { } problem)
            {
                await WriteError(context, StatusCodes.Status400BadRequest, $"mc_samples: model '{name}': {problem}").ConfigureAwait(false);
                return;
            }
            uncertainty = uncertainty with { McSamples = samples };
        }

        var inputs = request.Texts.Select(t => new TextInput(t)).ToArray();
        switch (served.Batcher.TryEnqueue(inputs, uncertainty, request.Seed, out var pending))
        {
            case AdmitResult.QueueFull:
                await TooBusy(context, name, "queue_full",
                    $"model '{name}' is busy: its queue holds {served.Batcher.Pending} texts (capacity {Options.QueueCapacity}); retry later").ConfigureAwait(false);
                return;
            case AdmitResult.QueueDelay:
                await TooBusy(context, name, "queue_delay",
                    $"model '{name}' is busy: the texts queued ahead would take about {served.Batcher.EstimatedWait?.TotalMilliseconds ?? 0:0} ms " +
                    $"(at most {Options.MaxQueueDelayMs:0.#} ms); retry later").ConfigureAwait(false);
                return;
            case AdmitResult.Stopping:
                Metrics.Rejected.WithLabels(name, "draining").Inc();
                await WriteError(context, StatusCodes.Status503ServiceUnavailable, "the server is shutting down").ConfigureAwait(false);
                return;
        }
        IReadOnlyList<Prediction> predictions;
        try
        {
            predictions = await pending.ConfigureAwait(false);
        }
        catch (QueueDelayExceededException e)
        {
            await TooBusy(context, name, "expired", $"model '{name}' is busy: the request {e.Message}; retry later").ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is Core.IO.InputException or NotSupportedException or ArgumentException)
        {
            await WriteError(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
            return;
        }

        var body = new StringBuilder(256 * predictions.Count + 64);
        body.Append("{\"model\":").Append(JsonSerializer.Serialize(name, Json)).Append(",\"predictions\":[");
        for (int i = 0; i < predictions.Count; i++)
        {
            if (i > 0) body.Append(',');
            body.Append(PredictionJson.Format(predictions[i]));
        }
        body.Append("]}");
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    // 429 with Retry-After, counted by reason (queue_full, queue_delay, expired, concurrency).
    private Task TooBusy(HttpContext context, string model, string reason, string message)
    {
        Metrics.Rejected.WithLabels(model, reason).Inc();
        context.Response.Headers.RetryAfter = Options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteError(context, StatusCodes.Status429TooManyRequests, message);
    }

    private string TooLarge() => $"request body larger than {Options.MaxRequestBodyBytes} bytes";

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return i < 0 ? message : message[..i];
    }

    private sealed record ParsedRequest(string[] Texts, string? Model, int? McSamples, ulong Seed);

    private sealed class RequestProblem(string message) : Exception(message);

    private ParsedRequest ParseRequest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new RequestProblem($"the body must be a JSON object like {{\"texts\": [\"…\"]}}, got {Kind(root)}");
        string[]? texts = null;
        string? model = null;
        int? samples = null;
        ulong seed = 0;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "texts":
                    if (value.ValueKind != JsonValueKind.Array) throw new RequestProblem($"texts: expected an array of strings, got {Kind(value)}");
                    int count = value.GetArrayLength();
                    if (count == 0) throw new RequestProblem("texts: the list is empty; give at least one text");
                    if (count > Options.MaxTextsPerRequest)
                        throw new RequestProblem($"texts: {count} texts in one request; at most {Options.MaxTextsPerRequest}");
                    texts = new string[count];
                    int i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.String) throw new RequestProblem($"texts[{i}]: expected a string, got {Kind(item)}");
                        var text = item.GetString()!;
                        if (text.Length > Options.MaxCharsPerText)
                            throw new RequestProblem($"texts[{i}]: {text.Length} characters; at most {Options.MaxCharsPerText}");
                        if (!IsValidUtf16(text)) throw new RequestProblem($"texts[{i}]: not valid Unicode (a lone surrogate escape such as \\ud800)");
                        texts[i++] = text;
                    }
                    break;
                case "model":
                    if (value.ValueKind == JsonValueKind.Null) break;
                    if (value.ValueKind != JsonValueKind.String) throw new RequestProblem($"model: expected a model name (string), got {Kind(value)}");
                    model = value.GetString();
                    break;
                case "mc_samples":
                    if (value.ValueKind == JsonValueKind.Null) break;
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n))
                        throw new RequestProblem($"mc_samples: expected a whole number, got {Kind(value)}");
                    if (n < 1 || n > Options.MaxMcSamples) throw new RequestProblem($"mc_samples: must be from 1 to {Options.MaxMcSamples}, got {n}");
                    samples = n;
                    break;
                case "seed":
                    if (value.ValueKind == JsonValueKind.Null) break;
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt64(out seed))
                        throw new RequestProblem($"seed: expected a whole number from 0 to {ulong.MaxValue}, got {Kind(value)}");
                    break;
                default:
                    throw new RequestProblem($"unknown field '{Truncate(property.Name)}' (expected texts, model, mc_samples, seed)");
            }
        }
        if (texts is null) throw new RequestProblem("texts: missing; send {\"texts\": [\"…\"]}");
        return new ParsedRequest(texts, model, samples, seed);
    }

    private static bool IsValidUtf16(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else return false;
        }
        return true;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {Truncate(e.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    internal static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message), Json, "application/json; charset=utf-8", context.RequestAborted);
    }
}
