using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Classify.Server.Tests;

/// <summary>A <see cref="ClassifyServer"/> on 127.0.0.1 with a free port (real Kestrel), and a client for it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(ClassifyServer server)
    {
        Server = server;
        Client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ClassifyServer Server { get; }
    public HttpClient Client { get; }

    /// <summary>
    /// Starts a server; <paramref name="options"/> gets the host and port 0, and the linear tweet model when it names none.
    /// The queue-delay bound is turned off unless the options bring their own clock: on the real clock a loaded test
    /// machine, or a test holding the batcher at a gate, would make requests wait past it (AdmissionTests test it).
    /// </summary>
    public static async Task<RunningServer> StartAsync(ServerOptions? options = null)
    {
        options ??= new ServerOptions();
        if (options.Models.Count == 0) options = options with { Models = [new ModelSpec("tweets", TestModels.LinearTweets)] };
        if (options.Clock is null) options = options with { MaxQueueDelayMs = 0 };
        var server = ClassifyServer.Create(options with { Host = "127.0.0.1", Port = 0 });
        await server.StartAsync();
        return new RunningServer(server);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string body, string path = "v1/classify", string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> ClassifyAsync(IEnumerable<string> texts, string? model = null, int? mcSamples = null) =>
        PostJsonAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["texts"] = texts.ToArray(), ["model"] = model, ["mc_samples"] = mcSamples,
        }.Where(kv => kv.Value is not null).ToDictionary()));

    /// <summary>The value of a Prometheus sample line <c>name{labels} value</c> (labels as written, or none), or null.</summary>
    public async Task<double?> MetricAsync(string name, string labels = "")
    {
        var text = await Client.GetStringAsync("metrics");
        var pattern = "^" + Regex.Escape(name) + (labels.Length > 0 ? Regex.Escape("{" + labels + "}") : @"(\{[^}]*\})?") + @" (\S+)$";
        var match = Regex.Match(text, pattern, RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Reads an error answer: asserts the status and the <c>{"error": "…"}</c> body, returns the message.</summary>
internal static class ErrorAssert
{
    public static async Task<string> IsError(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "");
        using var doc = JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }
}
