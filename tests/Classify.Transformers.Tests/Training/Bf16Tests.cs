using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Pretraining;
using Classify.Transformers.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Training;

/// <summary>
/// <c>bf16: true</c>: the CPU check, the bfloat16 working copy against float32, training and pretraining with it, and
/// what it leaves on disk. The tests that compute in bfloat16 pretend the CPU has <c>avx512_bf16</c> (libtorch emulates
/// bfloat16 where it is missing, only slower), so they run on any host.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class Bf16Tests : IDisposable
{
    private const string WithBf16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n";
    private const string WithoutBf16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n";

    private readonly ITestOutputHelper _out;
    private readonly Func<string?> _realCpuInfo = Bf16Support.CpuInfo;
    private readonly string _dir = TrainingFixture.TempRun("bf16");

    public Bf16Tests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    public void Dispose()
    {
        Bf16Support.CpuInfo = _realCpuInfo;
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Support_is_read_from_the_cpu_flags()
    {
        Bf16Support.CpuInfo = () => WithBf16;
        Assert.True(Bf16Support.IsSupported);
        Bf16Support.CpuInfo = () => WithBf16.Replace("avx512_bf16", "amx_bf16 amx_tile");
        Assert.True(Bf16Support.IsSupported);
        Bf16Support.CpuInfo = () => WithoutBf16;
        Assert.Contains("avx512_bf16", Bf16Support.Unsupported());
        Bf16Support.CpuInfo = () => null;   // not Linux
        Assert.Contains("/proc/cpuinfo", Bf16Support.Unsupported());
    }

    [Fact]
    public void Training_and_pretraining_refuse_bf16_on_a_cpu_without_it_naming_the_key()
    {
        Bf16Support.CpuInfo = () => WithoutBf16;
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("bf16", true), ("max_steps", 1));
        var error = Assert.Throws<InputException>(() => ((IClassifierTrainer)new TransformerTrainer()).Train(
            TrainingFixture.Request(TrainingFixture.TempRun("bf16-refused"), options, TrainingFixture.ToyExamples(8, 1), []), CancellationToken.None));
        Assert.Equal("transformer.bf16", error.Field);
        Assert.Contains("avx512_bf16", error.Message);

        var output = Path.Combine(_dir, "refused");
        var pretrain = Assert.Throws<InputException>(() => new MlmPretrainer().Run(PretrainArgs(("bf16", true)), output, resume: false, CancellationToken.None));
        Assert.Equal("pretrain.bf16", pretrain.Field);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void The_bf16_working_copy_computes_the_fp32_logits_to_bfloat16_precision()
    {
        using var master = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-bert"), out var report);
        master.eval();
        using var copy = new Bf16WorkingCopy(master, AutoModelForSequenceClassification.Create(master.Config));
        copy.Working.eval();
        Assert.Equal(ScalarType.BFloat16, copy.Working.DType);
        Assert.Equal(ScalarType.Float32, master.DType);
        using var ids = randint(5, master.Config.Json["vocab_size"]!.GetValue<long>(), [4, 12], dtype: ScalarType.Int64);
        using var noGrad = no_grad();
        using var expected = master.Forward(ids);
        using var actual = ((SequenceClassificationModel)copy.Working).Forward(ids);
        using var diff = (actual.Logits.to_type(ScalarType.Float32) - expected.Logits).abs().max();
        using var scale = expected.Logits.abs().max();
        double d = diff.item<float>(), s = scale.item<float>();
        _out.WriteLine($"max |bf16 - fp32| {d:G3}, max |fp32| {s:G3}");
        // bfloat16 keeps 8 significant bits (~2.4 decimal digits); a few layers of rounding stay within a few percent.
        Assert.True(d <= 0.05 * Math.Max(s, 1.0), $"max difference {d} at scale {s}");
    }

    [Fact]
    public void Bf16_training_learns_saves_fp32_weights_and_the_package_predicts_in_bf16()
    {
        Bf16Support.CpuInfo = () => WithBf16;
        var run = TrainingFixture.TempRun("bf16-learn");
        var train = TrainingFixture.ToyExamples(96, 1);
        var val = TrainingFixture.ToyExamples(40, 2);
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
            ("learning_rate", 1e-2), ("per_device_train_batch_size", 16), ("num_train_epochs", 8), ("logging_steps", 3),
            ("warmup_ratio", 0.1), ("weight_decay", 0.01), ("bf16", true));
        var trainer = new TransformerTrainer();
        var outcome = ((IClassifierTrainer)trainer).Train(TrainingFixture.Request(run, options, train, val), CancellationToken.None);
        using var trained = outcome.Model;
        var losses = TrainingFixture.Losses(trainer.LogHistory);
        _out.WriteLine(string.Join(" ", losses.Select(l => l.ToString("0.000"))));
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]} → {losses[^1]}");

        // The model in memory is the float32 master; so are the checkpoint and the package.
        var inMemory = (TransformerPredictor)trained.Predictor;
        Assert.Equal(ScalarType.Float32, inMemory.Model.DType);
        var texts = val.Select(e => new TextInput(e.Text)).ToList();
        var fp32 = inMemory.PredictProbabilities(texts);
        double accuracy = val.Zip(fp32).Count(p => DecisionRule.ArgMax(p.Second) == p.First.Label) / (double)val.Count;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
        var package = TrainingFixture.SavePackage(outcome, run);
        using (var weights = SafeTensorsCheckpoint.Open(package))
            Assert.All(weights.Tensors.Values, t => Assert.Equal(SafeTensorsDType.F32, t.DType));
        foreach (var checkpoint in Directory.GetDirectories(Path.Combine(run, "checkpoints")))
        {
            using var weights = SafeTensorsCheckpoint.Open(checkpoint);
            Assert.All(weights.Tensors.Values, t => Assert.Equal(SafeTensorsDType.F32, t.DType));
        }
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(package, "classify.json")))!;
        Assert.True(manifest["engine_options"]!["bf16"]!.GetValue<bool>());

        // The package predicts in bfloat16 (its setting), close to float32; in float32 when asked.
        using (var bf16 = TransformerPredictor.Load(package))
        {
            Assert.Equal(ScalarType.BFloat16, bf16.Model.DType);
            var probabilities = bf16.PredictProbabilities(texts);
            double worst = probabilities.Zip(fp32).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
            _out.WriteLine($"max |p_bf16 - p_fp32| {worst:G3}");
            Assert.True(worst < 0.05, $"probabilities differ by {worst}");
        }
        using (var float32 = TransformerPredictor.Load(package, options: new TransformerPredictorOptions { Bf16 = false }))
        {
            Assert.Equal(ScalarType.Float32, float32.Model.DType);
            Assert.Equal(fp32, float32.PredictProbabilities(texts));
        }

        // On a CPU without bfloat16 the package falls back to float32 with a warning; asking for bf16 there is an error.
        Bf16Support.CpuInfo = () => WithoutBf16;
        var warnings = new List<string>();
        using (var fallback = TransformerPredictor.Load(package, options: new TransformerPredictorOptions { Warn = warnings.Add }))
            Assert.Equal(ScalarType.Float32, fallback.Model.DType);
        Assert.Contains(warnings, w => w.Contains("float32", StringComparison.Ordinal));
        var refused = Assert.Throws<InputException>(() => TransformerPredictor.Load(package, options: new TransformerPredictorOptions { Bf16 = true }));
        Assert.Equal("bf16", refused.Field);
    }

    [Fact]
    public void A_bf16_pretraining_run_cancelled_and_resumed_ends_with_the_bytes_of_the_uninterrupted_run()
    {
        Bf16Support.CpuInfo = () => WithBf16;
        var args = PretrainArgs(("bf16", true), ("gradient_accumulation_steps", 2), ("per_device_train_batch_size", 4));
        var straight = Path.Combine(_dir, "straight");
        var straightResult = new MlmPretrainer().Run(args, straight, resume: false, CancellationToken.None);
        var losses = File.ReadAllLines(Path.Combine(straight, "log.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["loss"] is not null).Select(r => (double)r["loss"]!).ToArray();
        _out.WriteLine(string.Join(" ", losses.Select(l => l.ToString("0.000"))));
        Assert.True(losses[^1] < losses[0], "the MLM loss fell");
        using (var weights = SafeTensorsCheckpoint.Open(straight))
            Assert.All(weights.Tensors.Values, t => Assert.Equal(SafeTensorsDType.F32, t.DType));

        var resumed = Path.Combine(_dir, "resumed");
        using (var cts = new CancellationTokenSource())
        {
            var stopped = new MlmPretrainer { Progress = new InlineProgress(u => { if (u.Completed == 3) cts.Cancel(); }) };
            Assert.ThrowsAny<OperationCanceledException>(() => stopped.Run(args, resumed, resume: false, cts.Token));
        }
        var resumedResult = new MlmPretrainer().Run(args, resumed, resume: true, CancellationToken.None);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
        Assert.Equal((double)straightResult.Metrics["eval_loss"]!, (double)resumedResult.Metrics["eval_loss"]!);
    }

    private PretrainingArguments PretrainArgs(params (string Key, JsonNode? Value)[] pretrain)
    {
        var corpus = Path.Combine(_dir, "corpus.txt");
        if (!File.Exists(corpus)) File.WriteAllLines(corpus, TrainingFixture.ToyExamples(60, 3).Select(e => e.Text));
        var section = new JsonObject
        {
            ["model"] = TestPaths.Fixture("tiny-bert-mlm"), ["learning_rate"] = 1e-3, ["per_device_train_batch_size"] = 8, ["max_steps"] = 6,
            ["max_length"] = 16, ["line_by_line"] = true, ["validation_fraction"] = 0.1, ["eval_steps"] = 2, ["save_steps"] = 2,
            ["logging_steps"] = 1, ["save_total_limit"] = null, ["seed"] = 5,
        };
        foreach (var (key, value) in pretrain) section[key] = value;
        return PretrainingArguments.Read(new ConfigReader(new JsonObject { ["data"] = new JsonObject { ["path"] = corpus }, ["pretrain"] = section }));
    }
}
