using Classify.Core.Prediction;
using Classify.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// Every family with its real tokenizer: a scratch model (the bundled bert-base-uncased, roberta-base or ModernBERT-base
/// tokenizer) trained for a few steps so that it has its classification head, exported, and scored by the onnx engine
/// and by the transformer engine on the same texts, one of them longer than ModernBERT's 128-token local window.
/// </summary>
public sealed class ScratchExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Theory]
    [InlineData("bert-tiny")]
    [InlineData("roberta-tiny")]
    [InlineData("distilbert-tiny")]
    [InlineData("modernbert-tiny")]
    public void Onnx_logits_match_the_transformer_engine_on_a_scratch_model_of_each_family(string spec)
    {
        var config = _ws.Write("tx.yaml", $"""
            name: tx
            seed: 7
            data:
              path: {DataSlices.Tweets400}
              label_col: sentiment
            engine: transformer
            transformer:
              model: scratch:{spec}
              learning_rate: 0.001
              per_device_train_batch_size: 16
              max_steps: 3
              max_length: 256
            """);
        var train = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report"], timeout: TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") });
        Assert.True(train.ExitCode == 0, train.ToString());
        var source = Path.Combine(_ws.RunsDir, "tx", "model");
        var target = _ws.PathOf("onnx");
        CliRunner.Ok("export", "--model", source, "-o", target);

        var words = "the movie was long but the ending made up for it , honestly one of the best this year".Split(' ');
        TextInput[] texts =
        [
            "What a lovely day!",
            "Café déjà vu — Ångström 😀 and €5",
            string.Join(' ', Enumerable.Range(0, 220).Select(i => words[i % words.Length])),   // > 128 tokens: local windows matter
        ];
        using var torch = TextClassifier.Load(source);
        using var onnx = TextClassifier.Load(target);
        var expected = torch.Predictor.PredictScores(texts);
        var actual = onnx.Predictor.PredictScores(texts);
        double scale = expected.SelectMany(r => r).Max(Math.Abs);
        double worst = expected.Zip(actual, (e, a) => e.Zip(a, (x, y) => Math.Abs(x - y)).Max()).Max();
        output.WriteLine($"{spec}: max |Δlogit| = {worst:E2} (largest |logit| {scale:E2})");
        Assert.True(scale > 1e-3, $"{spec}: logits too small to compare ({scale})");
        Assert.True(worst <= 1e-5 + 1e-4 * scale, $"{spec}: onnx logits differ from the transformer engine's by {worst}");
    }
}
