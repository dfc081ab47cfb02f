using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;
using Classify.Core.Prediction;
using Xunit.Abstractions;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify export</c> then <c>classify predict</c> on the package: the golden probabilities through the whole CLI.</summary>
public sealed class ExportCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Exported_onnx_package_predicts_what_the_transformer_package_predicts()
    {
        var fixture = TestPaths.Fixture("tiny-bert");
        var onnx = _ws.PathOf("onnx");
        var export = CliRunner.Ok("export", "--model", fixture, "--format", "onnx", "-o", onnx);
        Assert.Contains("exported bert", export.Stderr + export.Stdout);
        Assert.Equal("onnx", JsonNode.Parse(File.ReadAllText(Path.Combine(onnx, "classify.json")))!["engine"]!.GetValue<string>());

        string[] texts = ["Hello world!", "The QUICK brown fox!!! Jumps?"];
        var fromOnnx = Probabilities(CliRunner.Ok(["predict", "--model", onnx, "--format", "json", .. texts]).Stdout);
        var fromTorch = Probabilities(CliRunner.Ok(["predict", "--model", fixture, "--format", "json", .. texts]).Stdout);
        Assert.Equal(fromTorch.Length, fromOnnx.Length);
        for (int i = 0; i < fromOnnx.Length; i++)
            foreach (var (label, p) in fromTorch[i])
                Assert.True(Math.Abs(p - fromOnnx[i][label]) <= 1e-4, $"row {i} {label}: {p} (transformer) vs {fromOnnx[i][label]} (onnx)");
    }

    [Fact]
    public void Export_with_int8_writes_a_smaller_graph_and_bad_flags_are_exit_2()
    {
        var fixture = TestPaths.Fixture("tiny-distilbert");
        var fp32 = _ws.PathOf("fp32");
        var int8 = _ws.PathOf("int8");
        CliRunner.Ok("export", "--model", fixture, "-o", fp32);
        CliRunner.Ok("export", "--model", fixture, "--quantize", "int8", "-o", int8);
        Assert.True(new FileInfo(Path.Combine(int8, "model.onnx")).Length < new FileInfo(Path.Combine(fp32, "model.onnx")).Length / 2);
        Assert.Equal("int8", JsonNode.Parse(File.ReadAllText(Path.Combine(int8, "classify.json")))!["engine_options"]!["quantization"]!.GetValue<string>());

        var mc = CliRunner.RunExpecting(2, "predict", "--model", int8, "--mc-samples", "5", "Hello");
        Assert.Contains("classify export --format onnx --mc-dropout", mc.StderrUnwrapped);   // the refusal names the fix

        // --mc-dropout: the same int8 graph with switchable dropout takes --mc-samples, reproducibly for a seed.
        var int8Mc = _ws.PathOf("int8-mc");
        CliRunner.Ok("export", "--model", fixture, "--quantize", "int8", "--mc-dropout", "-o", int8Mc);
        Assert.True(JsonNode.Parse(File.ReadAllText(Path.Combine(int8Mc, "classify.json")))!["engine_options"]!["mc_dropout"]!.GetValue<bool>());
        var sampled = CliRunner.Ok("predict", "--model", int8Mc, "--mc-samples", "5", "--seed", "3", "--format", "json", "Hello", "Hello world!").Stdout;
        Assert.Equal(sampled, CliRunner.Ok("predict", "--model", int8Mc, "--mc-samples", "5", "--seed", "3", "--format", "json", "Hello", "Hello world!").Stdout);
        Assert.All(sampled.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.True(JsonNode.Parse(line)!["uncertainty"]!["epistemic"]!.GetValue<double>() > 0, line));

        CliRunner.RunExpecting(2, "export", "--model", fixture, "--quantize", "int4", "-o", _ws.PathOf("int4"));
        var again = CliRunner.RunExpecting(2, "export", "--model", fixture, "-o", fp32);
        Assert.Contains("not empty", again.StderrUnwrapped);
    }

    [Fact]
    public void Trained_transformer_package_exports_with_parity_and_int8_agrees_on_held_out_tweets()
    {
        // A BERT-tiny from scratch trained on 400 tweets (child process: the scratch model is cached in the workspace),
        // exported as float and int8, scored on 300 held-out tweets by all three packages through TextClassifier
        // (cleaning, max_length and labels from each package's classify.json).
        // Balanced class weights keep it from predicting the majority class only, which would make agreement trivial.
        var config = _ws.Write("tx.yaml", ScratchTransformer.Config("tx", maxSteps: 120, transformerExtra: "  class_weight: balanced"));
        var train = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report"], timeout: TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") });
        Assert.True(train.ExitCode == 0, train.ToString());
        var model = Path.Combine(_ws.RunsDir, "tx", "model");
        CliRunner.Ok("export", "--model", model, "-o", _ws.PathOf("fp32"));
        CliRunner.Ok("export", "--model", model, "--quantize", "int8", "-o", _ws.PathOf("int8"));

        var test = DatasetLoader.Load(DataSlices.TweetsTest, new DatasetOptions { LabelColumn = "sentiment" });
        var inputs = test.Examples.Select(e => new TextInput(e.Text)).ToArray();
        double[][] Probabilities(string dir)
        {
            using var classifier = TextClassifier.Load(dir);
            Assert.Equal(test.Schema.Labels, classifier.Schema.Labels);
            return classifier.Predictor.PredictProbabilities(inputs);
        }
        var torch = Probabilities(model);
        var fp32 = Probabilities(_ws.PathOf("fp32"));
        var int8 = Probabilities(_ws.PathOf("int8"));

        var parity = torch.Zip(fp32, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        int agree = fp32.Zip(int8, (a, b) => ArgMax(a) == ArgMax(b)).Count(x => x);
        var gold = test.Examples.Select(e => e.Label).ToArray();
        double f1Fp32 = MacroF1(gold, fp32.Select(ArgMax).ToArray(), test.Schema.Labels.Count);
        double f1Int8 = MacroF1(gold, int8.Select(ArgMax).ToArray(), test.Schema.Labels.Count);
        output.WriteLine($"{inputs.Length} held-out tweets: max |p_onnx - p_torch| = {parity:E2}; int8 argmax agreement {agree}/{inputs.Length}; " +
                         $"macro-F1 fp32 {f1Fp32:F4}, int8 {f1Int8:F4}");
        Assert.True(parity <= 1e-4, $"fp32 ONNX differs from the transformer package by {parity}");
        Assert.True(f1Fp32 > 0.3, $"macro-F1 {f1Fp32}: the model learned too little for its int8 agreement to mean anything");
        Assert.True(agree >= 0.98 * inputs.Length, $"int8 agrees with fp32 on {agree} of {inputs.Length}");
        Assert.True(Math.Abs(f1Fp32 - f1Int8) <= 0.01, $"macro-F1 fp32 {f1Fp32} vs int8 {f1Int8}");
    }

    private static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());

    private static double MacroF1(int[] gold, int[] predicted, int labels) => Enumerable.Range(0, labels).Average(k =>
    {
        int tp = gold.Zip(predicted).Count(x => x.First == k && x.Second == k);
        int fp = gold.Zip(predicted).Count(x => x.First != k && x.Second == k);
        int fn = gold.Zip(predicted).Count(x => x.First == k && x.Second != k);
        return tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
    });

    private static Dictionary<string, double>[] Probabilities(string jsonLines) => jsonLines
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonNode.Parse(line)!["probabilities"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()))
        .ToArray();
}
