using System.Net;
using System.Text.Json;
using Classify.Core.Prediction;

namespace Classify.Server.Tests;

/// <summary>Micro-batching, the bounded queue (429) and the drain, made deterministic by holding the batcher at a gate.</summary>
public class BatchingTests
{
    internal static async Task WaitForQueueDepth(RunningServer host, string model, double depth)
    {
        for (int i = 0; i < 400; i++)
        {
            if (await host.MetricAsync("classify_queue_depth", $"model=\"{model}\"") == depth) return;
            await Task.Delay(25);
        }
        Assert.Fail($"the queue of {model} never held {depth} texts");
    }

    [Fact]
    public async Task Concurrent_requests_are_scored_together_and_equal_scoring_alone()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxBatchSize = 64, BeforeBatch = _ => gate.Task });
        var texts = TestModels.SampleTexts(24);
        // 12 requests of 2 texts each; the first batch waits at the gate while the others queue up behind it.
        var requests = Enumerable.Range(0, 12).Select(i => host.ClassifyAsync(texts.Skip(2 * i).Take(2))).ToArray();
        await WaitForQueueDepth(host, "tweets", 24);
        gate.SetResult();
        var responses = await Task.WhenAll(requests);

        using var served = TestModels.Alone(TestModels.LinearTweets);
        var alone = served.Classifier;
        for (int i = 0; i < responses.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, responses[i].StatusCode);
            using var doc = JsonDocument.Parse(await responses[i].Content.ReadAsStringAsync());
            var expected = alone.Predict(texts.Skip(2 * i).Take(2).ToArray()).Select(p => PredictionJson.Format(p));
            Assert.Equal(expected, doc.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetRawText()));
        }
        var batches = await host.MetricAsync("classify_batch_size_count", "model=\"tweets\"");
        var scored = await host.MetricAsync("classify_batch_size_sum", "model=\"tweets\"");
        Assert.Equal(24, scored);
        Assert.True(batches < 12, $"{batches} batches for 12 requests: nothing was merged");
        Assert.True(scored / batches > 2, $"mean batch size {scored / batches}");
        Assert.Equal(0, await host.MetricAsync("classify_queue_depth", "model=\"tweets\""));
    }

    [Fact]
    public async Task Max_batch_size_1_scores_every_text_alone()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxBatchSize = 1 });
        var texts = TestModels.SampleTexts(6);
        var responses = await Task.WhenAll(texts.Select(t => host.ClassifyAsync([t])));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(6, await host.MetricAsync("classify_batch_size_count", "model=\"tweets\""));
        Assert.Equal(6, await host.MetricAsync("classify_batch_size_sum", "model=\"tweets\""));
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_accepted_requests_complete()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await RunningServer.StartAsync(new ServerOptions { QueueCapacity = 4, BeforeBatch = _ => gate.Task });
        var accepted = Enumerable.Range(0, 4).Select(i => host.ClassifyAsync([$"text {i}"])).ToArray();
        await WaitForQueueDepth(host, "tweets", 4);

        var refused = await host.ClassifyAsync(["one too many"]);
        var error = await ErrorAssert.IsError(refused, 429);
        Assert.Contains("retry later", error);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(1, await host.MetricAsync("classify_rejected_total", "model=\"tweets\",reason=\"queue_full\""));
        Assert.Equal(1, await host.MetricAsync("classify_http_requests_total", "endpoint=\"/v1/classify\",status=\"429\""));

        gate.SetResult();
        Assert.All(await Task.WhenAll(accepted), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["room again"])).StatusCode);
    }

    [Fact]
    public async Task Stopping_drains_not_ready_and_finishes_accepted_requests()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await RunningServer.StartAsync(new ServerOptions { BeforeBatch = _ => gate.Task });
        try
        {
            Assert.True(host.Server.Ready);
            var accepted = new[] { host.ClassifyAsync(["first"]), host.ClassifyAsync(["second", "third"]) };
            await WaitForQueueDepth(host, "tweets", 3);
            var stopping = host.Server.StopAsync();
            Assert.True(host.Server.Draining);
            Assert.False(host.Server.Ready);
            await Task.Delay(200);
            Assert.False(stopping.IsCompleted);   // waits for the accepted requests
            gate.SetResult();
            var responses = await Task.WhenAll(accepted);
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            using var doc = JsonDocument.Parse(await responses[1].Content.ReadAsStringAsync());
            Assert.Equal(2, doc.RootElement.GetProperty("predictions").GetArrayLength());
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.Client.GetAsync("healthz"));
        }
        finally
        {
            gate.TrySetResult();
            await host.DisposeAsync();
        }
    }
}
