using System.Net;
using System.Text.Json;
using Classify.Core.Prediction;

namespace Classify.Server.Tests;

/// <summary>The endpoints on a real Kestrel on loopback: shapes, parity with <c>predict --format json</c>, health, metrics, OpenAPI.</summary>
public class EndpointTests
{
    [Fact]
    public async Task Classify_answers_one_prediction_per_text_exactly_as_predict_json_lines()
    {
        var texts = TestModels.SampleTexts(20).Append("ça va très bien 😀").ToArray();
        await using var host = await RunningServer.StartAsync();
        var response = await host.ClassifyAsync(texts);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("tweets", doc.RootElement.GetProperty("model").GetString());
        var predictions = doc.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetRawText()).ToArray();

        using var served = TestModels.Alone(TestModels.LinearTweets);
        var alone = served.Classifier;
        var expected = alone.Predict(texts).Select(p => PredictionJson.Format(p)).ToArray();
        Assert.Equal(expected, predictions);
    }

    [Fact]
    public async Task Models_health_ready_metrics_and_openapi_answer()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions
        {
            Models = [new ModelSpec("tweets", TestModels.LinearTweets), new ModelSpec("bert", TestModels.OnnxTinyBert)],
        });
        using (var doc = JsonDocument.Parse(await host.Client.GetStringAsync("v1/models")))
        {
            var models = doc.RootElement.GetProperty("models").EnumerateArray().ToArray();
            Assert.Equal(["tweets", "bert"], models.Select(m => m.GetProperty("name").GetString()));
            Assert.True(models[0].GetProperty("default").GetBoolean());
            Assert.Equal("linear", models[0].GetProperty("engine").GetString());
            Assert.Equal("onnx", models[1].GetProperty("engine").GetString());
            Assert.Equal(["negative", "neutral", "positive"], models[0].GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
            Assert.False(models[1].GetProperty("supports_mc_samples").GetBoolean());
        }
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("readyz")).StatusCode);

        var bert = await host.ClassifyAsync(["hello world"], model: "bert");
        Assert.Equal(HttpStatusCode.OK, bert.StatusCode);
        using (var doc = JsonDocument.Parse(await bert.Content.ReadAsStringAsync()))
            Assert.Equal("bert", doc.RootElement.GetProperty("model").GetString());

        var metrics = await host.Client.GetStringAsync("metrics");
        foreach (var name in new[] { "classify_http_requests_total", "classify_http_request_duration_seconds_bucket", "classify_batch_size_bucket", "classify_queue_depth", "classify_texts_total" })
            Assert.Contains(name, metrics);
        Assert.Contains("classify_http_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 1", metrics);

        var openapi = await host.Client.GetStringAsync("openapi/v1.json");
        using (var doc = JsonDocument.Parse(openapi))
        {
            var paths = doc.RootElement.GetProperty("paths");
            Assert.True(paths.TryGetProperty("/v1/classify", out var classify));
            Assert.True(classify.TryGetProperty("post", out _));
            Assert.True(paths.TryGetProperty("/v1/models", out _));
        }
        Assert.Contains("texts", openapi);
    }

    [Fact]
    public async Task Onnx_package_is_served_with_the_onnx_engines_predictions()
    {
        var texts = new[] { "Hello world!", "a plain sentence", "another one, longer than the others by a few words" };
        await using var host = await RunningServer.StartAsync(new ServerOptions { Models = [new ModelSpec("bert", TestModels.OnnxTinyBert)] });
        var response = await host.ClassifyAsync(texts);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var served = TestModels.Alone(TestModels.OnnxTinyBert);
        var alone = served.Classifier;
        Assert.Equal(alone.Predict(texts).Select(p => PredictionJson.Format(p)),
            doc.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetRawText()));
    }

    [Fact]
    public async Task Mc_samples_above_one_is_refused_for_a_model_that_cannot_with_the_reason()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { Models = [new ModelSpec("bert", TestModels.OnnxTinyBert)] });
        var error = await ErrorAssert.IsError(await host.ClassifyAsync(["hi"], mcSamples: 5), 400);
        Assert.Contains("mc_samples", error);
        Assert.Contains("no dropout", error);
        Assert.Contains("--mc-dropout", error);   // the fix
        Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["hi"], mcSamples: 1)).StatusCode);
    }

    [Fact]
    public async Task Abstained_predictions_carry_abstained_and_no_labels()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { Models = [new ModelSpec("tweets", TestModels.LinearTweetsAbstain)] });
        var response = await host.ClassifyAsync(TestModels.SampleTexts(40));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var predictions = doc.RootElement.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.All(predictions, p => Assert.True(p.TryGetProperty("abstained", out _)));
        var abstained = predictions.Where(p => p.GetProperty("abstained").GetBoolean()).ToArray();
        Assert.NotEmpty(abstained);
        Assert.All(abstained, p => Assert.Equal(0, p.GetProperty("labels").GetArrayLength()));
    }

    [Fact]
    public async Task Demo_page_is_self_contained_html()
    {
        await using var host = await RunningServer.StartAsync();
        var response = await host.Client.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<textarea", html);
        Assert.DoesNotMatch(@"(src|href)\s*=\s*[""']?(https?:)?//", html);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }
}
