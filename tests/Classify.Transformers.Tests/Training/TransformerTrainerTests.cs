using System.Text.Json.Nodes;
using Classify.Core.Prediction;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Training;
using Xunit.Abstractions;

namespace Classify.Transformers.Tests.Training;

[Collection(TrainingCollection.Name)]
public class TransformerTrainerTests
{
    private readonly ITestOutputHelper _out;

    public TransformerTrainerTests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    [Fact]
    public void Tiny_model_learns_a_separable_task_and_writes_the_package()
    {
        var run = TrainingFixture.TempRun("learn");
        var train = TrainingFixture.ToyExamples(96, 1);
        var val = TrainingFixture.ToyExamples(40, 2);
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
            ("learning_rate", 1e-2), ("per_device_train_batch_size", 16), ("num_train_epochs", 8), ("logging_steps", 3),
            ("warmup_ratio", 0.1), ("weight_decay", 0.01), ("group_by_length", true));
        var updates = new List<ProgressUpdateRecord>();
        var progress = new InlineProgress(u => updates.Add(new(u.Stage, u.Completed, u.Total, u.Detail)));
        var trainer = new TransformerTrainer();
        var outcome = trainer.Train(TrainingFixture.Request(run, options, train, val, progress: progress), CancellationToken.None);
        using var predictor = outcome.Predictor;

        var losses = TrainingFixture.Losses(trainer.LogHistory);
        _out.WriteLine(string.Join(" ", losses.Select(l => l.ToString("0.000"))));
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]} → {losses[^1]}");
        var probabilities = predictor.PredictProbabilities(val.Select(e => new TextInput(e.Text)).ToList());
        double accuracy = val.Zip(probabilities).Count(p => DecisionRule.ArgMax(p.Second) == p.First.Label) / (double)val.Count;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");

        // Package: HF folder with labels, tokenizer, and classify.json.
        var model = run + "/model";
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal("positive", config["id2label"]!["1"]!.GetValue<string>());
        Assert.Equal(0, config["label2id"]!["negative"]!.GetValue<int>());
        Assert.Equal("single_label_classification", config["problem_type"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(model, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(model, "vocab.txt")));
        var manifest = ModelManifest.Load(model);
        Assert.Equal("transformer", manifest.Engine);
        Assert.Equal(64, manifest.EngineOptions!["max_length"]!.GetValue<int>());   // the fixture's position limit
        Assert.Equal("bert", manifest.EngineOptions!["family"]!.GetValue<string>());

        // log.jsonl has HF rows; evaluation rows carry eval_* keys; progress counts optimizer steps.
        var rows = File.ReadAllLines(Path.Combine(run, "log.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Contains(rows, r => r.ContainsKey("loss") && r.ContainsKey("learning_rate") && r.ContainsKey("grad_norm"));
        Assert.Equal(8, rows.Count(r => r.ContainsKey("eval_macro_f1") && r.ContainsKey("eval_loss")));
        Assert.Equal(48, updates[^1].Completed);
        Assert.Equal(48, updates[^1].Total);
        Assert.All(updates, u => Assert.Equal("training", u.Stage));
        Assert.Matches(@"^loss \d\.\d{3} lr \d\.\de[-+]\d\d epoch \d\.\d\d$", updates[^1].Detail);
        Assert.Equal("macro_f1", outcome.Best!["metric"]!.GetValue<string>());
    }

    [Fact]
    public void Gradient_accumulation_equals_one_large_batch()
    {
        var model = TrainingFixture.WithoutDropout("tiny-bert");
        var train = TrainingFixture.ToyExamples(16, 3);
        (double[] Losses, float[] Weights) Run(int batch, int accumulation)
        {
            var run = TrainingFixture.TempRun($"accum-{batch}x{accumulation}");
            var options = TrainingFixture.Options(model, ("learning_rate", 1e-3), ("per_device_train_batch_size", batch),
                ("gradient_accumulation_steps", accumulation), ("num_train_epochs", 2), ("logging_steps", 1), ("eval_strategy", "no"));
            var trainer = new TransformerTrainer();
            trainer.Train(TrainingFixture.Request(run, options, train, []), CancellationToken.None).Predictor.Dispose();
            using var weights = SafeTensorsCheckpoint.Open(Path.Combine(run, "model"));
            return (TrainingFixture.Losses(trainer.LogHistory), weights.ReadFloat32("bert.encoder.layer.0.attention.self.query.weight"));
        }
        var large = Run(8, 1);
        var accumulated = Run(4, 2);
        Assert.Equal(4, large.Losses.Length);
        Assert.Equal(large.Losses.Length, accumulated.Losses.Length);
        for (int i = 0; i < large.Losses.Length; i++) Assert.Equal(large.Losses[i], accumulated.Losses[i], 1e-5);
        Assert.True(large.Weights.Zip(accumulated.Weights).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }

    [Fact]
    public void Cancelled_training_checkpoints_and_resumes_with_identical_losses()
    {
        var train = TrainingFixture.ToyExamples(48, 4);
        JsonObject Options(params (string, JsonNode?)[] extra) => TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
            [("learning_rate", 1e-3), ("per_device_train_batch_size", 8), ("max_steps", 6), ("logging_steps", 1),
             ("eval_strategy", "no"), ("save_strategy", "no"), ("weight_decay", 0.01), ("warmup_steps", 2), .. extra]);

        var straight = new TransformerTrainer();
        straight.Train(TrainingFixture.Request(TrainingFixture.TempRun("straight"), Options(), train, []), CancellationToken.None).Predictor.Dispose();
        var expected = TrainingFixture.Losses(straight.LogHistory);
        Assert.Equal(6, expected.Length);

        var runDir = TrainingFixture.TempRun("resumed");
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(u => { if (u.Completed == 3) cts.Cancel(); });
        var first = new TransformerTrainer();
        Assert.Throws<OperationCanceledException>(() =>
            first.Train(TrainingFixture.Request(runDir, Options(), train, [], progress: progress), cts.Token));
        var checkpoint = Path.Combine(runDir, "checkpoints", "checkpoint-3");
        Assert.True(File.Exists(Path.Combine(checkpoint, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(checkpoint, "optimizer.safetensors")));
        Assert.True(File.Exists(Path.Combine(checkpoint, "trainer_state.json")));
        Assert.Equal(3, TrainerState.Load(checkpoint).GlobalStep);
        Assert.False(Directory.Exists(Path.Combine(runDir, "model")));

        var second = new TransformerTrainer();
        second.Train(TrainingFixture.Request(runDir, Options(("resume_from_checkpoint", true)), train, []), CancellationToken.None).Predictor.Dispose();
        var resumed = TrainingFixture.Losses(second.LogHistory);
        _out.WriteLine("straight " + string.Join(" ", expected) + "\nresumed  " + string.Join(" ", resumed));
        Assert.Equal(6, resumed.Length);
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], resumed[i], 1e-6);
        Assert.Equal(File.ReadAllLines(Path.Combine(runDir, "log.jsonl")).Length, second.LogHistory.Count);
    }

    [Fact]
    public void Early_stopping_stops_when_the_metric_stalls()
    {
        var run = TrainingFixture.TempRun("early");
        // Learning rate 0: the metric never improves after the first evaluation.
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("learning_rate", 0.0), ("per_device_train_batch_size", 8),
            ("max_steps", 20), ("eval_strategy", "steps"), ("eval_steps", 1), ("early_stopping_patience", 2), ("save_total_limit", 1));
        var trainer = new TransformerTrainer();
        var outcome = trainer.Train(TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 5), TrainingFixture.ToyExamples(8, 6)), CancellationToken.None);
        using var predictor = outcome.Predictor;
        var evals = trainer.LogHistory.Where(r => r.ContainsKey("eval_loss")).ToList();
        Assert.Equal(3, evals.Count);
        Assert.Equal(3, trainer.LogHistory[^1]["step"]!.GetValue<int>());
        Assert.Equal(1, outcome.Best!["step"]!.GetValue<int>());
        // The best checkpoint survives rotation next to the newest.
        var kept = Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(p => Path.GetFileName(p)!).Order().ToArray();
        Assert.Equal(["checkpoint-1", "checkpoint-3"], kept);
    }

    [Fact]
    public void The_saved_model_is_the_best_evaluated_checkpoint()
    {
        var run = TrainingFixture.TempRun("best");
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("learning_rate", 2e-2), ("per_device_train_batch_size", 8),
            ("max_steps", 8), ("eval_strategy", "steps"), ("eval_steps", 1), ("metric_for_best_model", "eval_loss"), ("save_total_limit", 1));
        var trainer = new TransformerTrainer();
        var outcome = trainer.Train(TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 7), TrainingFixture.ToyExamples(16, 8)), CancellationToken.None);
        using var predictor = outcome.Predictor;
        var evals = trainer.LogHistory.Where(r => r.ContainsKey("eval_loss")).ToList();
        var bestRow = evals.MinBy(r => r["eval_loss"]!.GetValue<double>())!;
        int bestStep = bestRow["step"]!.GetValue<int>();
        _out.WriteLine(string.Join(" ", evals.Select(r => r["eval_loss"]!.GetValue<double>().ToString("0.0000"))) + $" best {bestStep}");
        Assert.Equal(bestStep, outcome.Best!["step"]!.GetValue<int>());
        Assert.Equal(bestRow["eval_loss"]!.GetValue<double>(), outcome.Best!["value"]!.GetValue<double>(), 12);

        var bestCheckpoint = Path.Combine(run, "checkpoints", $"checkpoint-{bestStep}");
        Assert.True(Directory.Exists(bestCheckpoint));
        Assert.Equal(bestCheckpoint, TrainerState.Load(Path.Combine(run, "checkpoints", "checkpoint-8")).BestModelCheckpoint);
        using var saved = SafeTensorsCheckpoint.Open(Path.Combine(run, "model"));
        using var best = SafeTensorsCheckpoint.Open(bestCheckpoint);
        foreach (var key in best.Tensors.Keys) Assert.Equal(best.ReadFloat32(key), saved.ReadFloat32(key));
    }

    private sealed record ProgressUpdateRecord(string Stage, long Completed, long Total, string? Detail);
}
