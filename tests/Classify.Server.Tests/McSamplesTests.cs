using System.Net;
using System.Text.Json;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;

namespace Classify.Server.Tests;

/// <summary>
/// <c>mc_samples</c> on an ONNX package exported with <c>--mc-dropout</c>: accepted, answered with the Monte-Carlo
/// fields exactly as the package scores alone, reproducible for the seed, and counted once per sample in the queue.
/// </summary>
public class McSamplesTests
{
    private static readonly string[] Texts = ["Hello world!", "a plain sentence", "another one, longer than the others by a few words"];

    [Fact]
    public async Task Mc_samples_are_served_for_an_mc_dropout_onnx_package_as_scored_alone()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions
        {
            Models = [new ModelSpec("mc", TestModels.OnnxTinyBertMcDropout), new ModelSpec("bert", TestModels.OnnxTinyBert)],
        });
        using (var doc = JsonDocument.Parse(await host.Client.GetStringAsync("v1/models")))
        {
            var models = doc.RootElement.GetProperty("models").EnumerateArray().ToArray();
            Assert.True(models[0].GetProperty("supports_mc_samples").GetBoolean());
            Assert.False(models[1].GetProperty("supports_mc_samples").GetBoolean());
        }

        var response = await host.ClassifyAsync(Texts, model: "mc", mcSamples: 5);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using (var doc = JsonDocument.Parse(body))
        {
            var predictions = doc.RootElement.GetProperty("predictions").EnumerateArray().ToArray();
            Assert.Equal(Texts.Length, predictions.Length);
            foreach (var p in predictions)
            {
                var u = p.GetProperty("uncertainty");
                Assert.True(u.GetProperty("epistemic").GetDouble() > 0);
                Assert.True(u.GetProperty("predictive_entropy").GetDouble() >= u.GetProperty("aleatoric").GetDouble());
                Assert.Contains(u.GetProperty("std").EnumerateObject(), s => s.Value.GetDouble() > 0);
            }

            using var served = TestModels.Alone(TestModels.OnnxTinyBertMcDropout);
            var alone = served.Classifier.Predict(Texts.Select(t => new TextInput(t)).ToArray(),
                UncertaintyOptions.SinglePass with { McSamples = 5 }, seed: 0);
            Assert.Equal(alone.Select(p => PredictionJson.Format(p)), predictions.Select(p => p.GetRawText()));
        }

        // The same request, the same answer (the seed defaults to 0); the other package still refuses.
        Assert.Equal(body, await (await host.ClassifyAsync(Texts, model: "mc", mcSamples: 5)).Content.ReadAsStringAsync());
        var error = await ErrorAssert.IsError(await host.ClassifyAsync(Texts, model: "bert", mcSamples: 5), 400);
        Assert.Contains("--mc-dropout", error);
    }

    [Fact]
    public async Task Concurrent_mc_requests_are_scored_apart_so_each_answer_equals_the_request_alone()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await RunningServer.StartAsync(new ServerOptions
        {
            Models = [new ModelSpec("mc", TestModels.OnnxTinyBertMcDropout)], MaxBatchWaitMs = 200, BeforeBatch = _ => gate.Task,
        });
        string[][] requests = [[Texts[0], Texts[1]], [Texts[2], Texts[0]]];
        var pending = requests.Select(r => host.ClassifyAsync(r, mcSamples: 3)).ToArray();
        for (int i = 0; i < 200 && await host.MetricAsync("classify_queue_depth", "model=\"mc\"") != 12; i++) await Task.Delay(25);
        gate.SetResult();
        using var served = TestModels.Alone(TestModels.OnnxTinyBertMcDropout);
        for (int r = 0; r < requests.Length; r++)
        {
            var response = await pending[r];
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var alone = served.Classifier.Predict(requests[r].Select(t => new TextInput(t)).ToArray(),
                UncertaintyOptions.SinglePass with { McSamples = 3 }, seed: 0);
            Assert.Equal(alone.Select(p => PredictionJson.Format(p)),
                doc.RootElement.GetProperty("predictions").EnumerateArray().Select(p => p.GetRawText()));
        }
    }

    [Fact]
    public async Task A_text_counts_once_per_sample_toward_the_queue_capacity()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await RunningServer.StartAsync(new ServerOptions
        {
            Models = [new ModelSpec("mc", TestModels.OnnxTinyBertMcDropout)], QueueCapacity = 8, BeforeBatch = _ => gate.Task,
        });
        var first = host.ClassifyAsync(["held at the gate"]);
        for (int i = 0; i < 200 && await host.MetricAsync("classify_queue_depth", "model=\"mc\"") != 1; i++) await Task.Delay(25);
        Assert.Equal(1, await host.MetricAsync("classify_queue_depth", "model=\"mc\""));

        // 3 texts × 4 samples = 12 rows: more than the 7 left.
        var error = await ErrorAssert.IsError(await host.ClassifyAsync(Texts, mcSamples: 4), 429);
        Assert.Contains("busy", error);
        // 3 texts × 2 samples = 6 rows fit.
        var second = host.ClassifyAsync(Texts, mcSamples: 2);
        for (int i = 0; i < 200 && await host.MetricAsync("classify_queue_depth", "model=\"mc\"") != 7; i++) await Task.Delay(25);
        Assert.Equal(7, await host.MetricAsync("classify_queue_depth", "model=\"mc\""));

        gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
    }
}
