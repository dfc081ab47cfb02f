using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Engine;
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
        var outcome = ((IClassifierTrainer)trainer).Train(TrainingFixture.Request(run, options, train, val, progress: progress), CancellationToken.None);
        using var trained = outcome.Model;
        var predictor = trained.Predictor;
        Assert.Equal(ScoreLink.Softmax, predictor.Link);

        var losses = TrainingFixture.Losses(trainer.LogHistory);
        _out.WriteLine(string.Join(" ", losses.Select(l => l.ToString("0.000"))));
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]} → {losses[^1]}");
        var probabilities = predictor.PredictProbabilities(val.Select(e => new TextInput(e.Text)).ToList());
        double accuracy = val.Zip(probabilities).Count(p => DecisionRule.ArgMax(p.Second) == p.First.Label) / (double)val.Count;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");

        // Package: HF folder with labels, tokenizer, and classify.json; it predicts as the model in memory did.
        var model = TrainingFixture.SavePackage(outcome, run);
        using (var reloaded = TransformerPredictor.Load(model))
        {
            var again = reloaded.PredictProbabilities(val.Select(e => new TextInput(e.Text)).ToList());
            for (int i = 0; i < again.Length; i++) Assert.Equal(probabilities[i], again[i]);
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal("positive", config["id2label"]!["1"]!.GetValue<string>());
        Assert.Equal(0, config["label2id"]!["negative"]!.GetValue<int>());
        Assert.Equal("single_label_classification", config["problem_type"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(model, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(model, "vocab.txt")));
        var manifest = ModelManifest.Load(model);
        Assert.Equal("transformer", manifest.Engine);
        int maxLength = manifest.EngineOptions!["max_length"]!.GetValue<int>();   // none configured: MaxLengthRule over the training texts
        Assert.True(maxLength % MaxLengthRule.Multiple == 0 && maxLength is >= MaxLengthRule.Minimum and <= 64, $"max_length {maxLength}");   // ≤ the fixture's position limit
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
            using (var outcome = Train(trainer, TrainingFixture.Request(run, options, train, [])).Model)
                TrainingFixture.SavePackage(new TrainingOutcome(outcome, null, []), run);
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
    public void Token_budget_splits_batches_without_changing_the_steps()
    {
        var model = TrainingFixture.WithoutDropout("tiny-bert");
        var train = TrainingFixture.ToyExamples(16, 3);
        (double[] Losses, float[] Weights) Run(int? maxTokens)
        {
            var run = TrainingFixture.TempRun($"tokens-{maxTokens}");
            var options = TrainingFixture.Options(model, ("learning_rate", 1e-3), ("per_device_train_batch_size", 8),
                ("num_train_epochs", 2), ("logging_steps", 1), ("eval_strategy", "no"), ("group_by_length", true),
                ("max_tokens_per_batch", maxTokens));
            var trainer = new TransformerTrainer();
            using (var outcome = Train(trainer, TrainingFixture.Request(run, options, train, [])).Model)
                TrainingFixture.SavePackage(new TrainingOutcome(outcome, null, []), run);
            using var weights = SafeTensorsCheckpoint.Open(Path.Combine(run, "model"));
            return (TrainingFixture.Losses(trainer.LogHistory), weights.ReadFloat32("bert.encoder.layer.0.attention.self.query.weight"));
        }
        var whole = Run(null);
        var split = Run(20);   // the toy texts are a few tokens each: a budget of 20 cuts each batch of 8 into several
        Assert.Equal(4, whole.Losses.Length);
        Assert.Equal(whole.Losses.Length, split.Losses.Length);
        for (int i = 0; i < whole.Losses.Length; i++) Assert.Equal(whole.Losses[i], split.Losses[i], 1e-5);
        Assert.True(whole.Weights.Zip(split.Weights).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }

    [Fact]
    public void Cancelled_training_checkpoints_and_resumes_with_identical_losses()
    {
        var train = TrainingFixture.ToyExamples(48, 4);
        JsonObject Options(params (string, JsonNode?)[] extra) => TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
            [("learning_rate", 1e-3), ("per_device_train_batch_size", 8), ("max_steps", 6), ("logging_steps", 1),
             ("eval_strategy", "no"), ("save_strategy", "no"), ("weight_decay", 0.01), ("warmup_steps", 2), .. extra]);

        var straight = new TransformerTrainer();
        Train(straight, TrainingFixture.Request(TrainingFixture.TempRun("straight"), Options(), train, [])).Model.Dispose();
        var expected = TrainingFixture.Losses(straight.LogHistory);
        Assert.Equal(6, expected.Length);

        var runDir = TrainingFixture.TempRun("resumed");
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(u => { if (u.Completed == 3) cts.Cancel(); });
        var first = new TransformerTrainer();
        Assert.Throws<OperationCanceledException>(() =>
            Train(first, TrainingFixture.Request(runDir, Options(), train, [], progress: progress), cts.Token));
        var checkpoint = Path.Combine(runDir, "checkpoints", "checkpoint-3");
        Assert.True(File.Exists(Path.Combine(checkpoint, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(checkpoint, "optimizer.safetensors")));
        Assert.True(File.Exists(Path.Combine(checkpoint, "trainer_state.json")));
        Assert.Equal(3, TrainerState.Load(checkpoint).GlobalStep);
        Assert.False(Directory.Exists(Path.Combine(runDir, "model")));

        var second = new TransformerTrainer();
        Train(second, TrainingFixture.Request(runDir, Options(("resume_from_checkpoint", true)), train, [])).Model.Dispose();
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
        var messages = new List<string>();
        var outcome = Train(trainer, TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 5), TrainingFixture.ToyExamples(8, 6),
            log: messages.Add));
        using var trained = outcome.Model;
        var evals = trainer.LogHistory.Where(r => r.ContainsKey("eval_loss")).ToList();
        Assert.Equal(3, evals.Count);
        Assert.Equal(3, trainer.LogHistory[^1]["step"]!.GetValue<int>());
        Assert.Equal(1, outcome.Best!["step"]!.GetValue<int>());
        // The best checkpoint survives rotation next to the newest.
        var kept = Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(p => Path.GetFileName(p)!).Order().ToArray();
        Assert.Equal(["checkpoint-1", "checkpoint-3"], kept);

        // Announced: a status line, a log.jsonl event and run.json's "training" summary.
        Assert.Contains(messages, m => m.StartsWith("early stopping at step 3: no improvement in macro_f1 for 2 evaluations", StringComparison.Ordinal));
        var rows = File.ReadAllLines(Path.Combine(run, "log.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var stopped = Assert.Single(rows, r => r["event"]?.GetValue<string>() == "early_stopping");
        Assert.Equal(3, stopped["step"]!.GetValue<int>());
        Assert.Equal(1, stopped["best_step"]!.GetValue<int>());
        var summary = outcome.Summary!;
        Assert.True(summary["stopped_early"]!.GetValue<bool>());
        Assert.Equal(3, summary["stopped_at_step"]!.GetValue<int>());
        Assert.Equal(1, summary["best_step"]!.GetValue<int>());
        Assert.Equal(outcome.Best!["value"]!.GetValue<double>(), summary["best_metric"]!.GetValue<double>());
        Assert.Equal("no improvement in macro_f1 for 2 evaluations", summary["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public void A_callback_hears_every_evaluation_and_can_stop_training()
    {
        var run = TrainingFixture.TempRun("callback");
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("learning_rate", 1e-3), ("per_device_train_batch_size", 8),
            ("max_steps", 10), ("eval_strategy", "steps"), ("eval_steps", 1));
        var heard = new List<TrainerEvaluation>();
        var pruner = new StopAt(2, heard);
        var messages = new List<string>();
        var outcome = Train(new TransformerTrainer(), TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 11),
            TrainingFixture.ToyExamples(8, 12), callbacks: [pruner], log: messages.Add));
        using var trained = outcome.Model;

        Assert.Equal([1L, 2L], heard.Select(e => e.Step));
        Assert.Contains(TrainingArguments.EvalLossKey, heard[0].Metrics.Keys);
        Assert.Contains("macro_f1", heard[0].Metrics.Keys);
        Assert.Equal(0.25, heard[0].Epoch, 12);   // 4 steps per epoch
        Assert.True(outcome.Summary!["stopped_early"]!.GetValue<bool>());
        Assert.Equal(2, outcome.Summary!["stopped_at_step"]!.GetValue<int>());
        Assert.Equal("pruned by the test", outcome.Summary!["stop_reason"]!.GetValue<string>());
        Assert.Contains(messages, m => m.StartsWith("early stopping at step 2: pruned by the test", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(run, "checkpoints", "checkpoint-2")));
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints", "checkpoint-3")));
    }

    private sealed class StopAt(long step, List<TrainerEvaluation> heard) : ITrainerCallback
    {
        public void OnEvaluate(TrainerEvaluation evaluation, TrainerControl control)
        {
            heard.Add(evaluation);
            if (evaluation.Step >= step) control.Stop("pruned by the test");
        }
    }

    [Fact]
    public void Checkpoints_are_loadable_models()
    {
        var run = TrainingFixture.TempRun("loadable");
        var schema = new Classify.Core.Labels.LabelSchema(Classify.Core.Labels.TaskKind.Binary, ["negative", "positive"]);
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-roberta"), ("learning_rate", 1e-3), ("per_device_train_batch_size", 8),
            ("max_steps", 4), ("eval_strategy", "no"), ("save_strategy", "steps"), ("save_steps", 2), ("save_total_limit", null));
        var outcome = Train(new TransformerTrainer(), TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 13), [], schema));
        using var trained = outcome.Model;
        TextInput[] inputs = ["i love this", "not a good day", "the"];
        var expected = trained.Predictor.PredictScores(inputs);

        var checkpoint = Path.Combine(run, "checkpoints", "checkpoint-4");
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "classify.json", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(checkpoint, file)), file);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "config.json")))!;
        Assert.Equal("positive", config["id2label"]!["1"]!.GetValue<string>());
        TransformerEngine.Register();
        using var classifier = TextClassifier.Load(checkpoint);
        Assert.Equal(schema.Labels, classifier.Manifest.Labels);
        var actual = classifier.Predictor.PredictScores(inputs);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(expected[i], actual[i]);
        Assert.True(Directory.Exists(Path.Combine(run, "checkpoints", "checkpoint-2")));
    }

    [Fact]
    public void A_save_killed_midway_leaves_nothing_after_the_next_start()
    {
        var runDir = TrainingFixture.TempRun("killed");
        var train = TrainingFixture.ToyExamples(24, 14);
        JsonObject Options(params (string, JsonNode?)[] extra) => TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
            [("learning_rate", 1e-3), ("per_device_train_batch_size", 8), ("max_steps", 4), ("eval_strategy", "no"),
             ("save_strategy", "steps"), ("save_steps", 2), .. extra]);
        Train(new TransformerTrainer(), TrainingFixture.Request(runDir, Options(("max_steps", 4)), train, [])).Model.Dispose();

        // What kill -9 inside AtomicFile.WriteDirectory leaves: a half-written staging folder, and (killed between the
        // two renames) the previous copy of a checkpoint whose replacement never arrived.
        var checkpoints = Path.Combine(runDir, "checkpoints");
        var staging = Path.Combine(checkpoints, $".checkpoint-6.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "model.safetensors"), "half");
        Directory.Move(Path.Combine(checkpoints, "checkpoint-2"), Path.Combine(checkpoints, $".checkpoint-2.{Guid.NewGuid():N}.old"));
        File.WriteAllText(Path.Combine(runDir, $".log.jsonl.4242.{Guid.NewGuid():N}.tmp"), "{");

        var messages = new List<string>();
        Train(new TransformerTrainer(), TrainingFixture.Request(runDir, Options(("resume_from_checkpoint", true)), train, [], log: messages.Add))
            .Model.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(checkpoints, ".*"));
        Assert.Empty(Directory.GetFiles(runDir, ".*"));
        Assert.True(File.Exists(Path.Combine(checkpoints, "checkpoint-2", "trainer_state.json")));   // restored, not lost
        Assert.Contains(messages, m => m.StartsWith("cleaned up 3 leftover(s) of an interrupted run", StringComparison.Ordinal));
    }

    [Fact]
    public void Weighted_eval_loss_is_the_training_objective_not_the_log_loss()
    {
        double Gap(params (string, JsonNode?)[] extra)
        {
            var run = TrainingFixture.TempRun("weighted");
            var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"),
                [("learning_rate", 1e-3), ("per_device_train_batch_size", 8), ("max_steps", 2), ("eval_strategy", "steps"), ("eval_steps", 2), .. extra]);
            var trainer = new TransformerTrainer();
            Train(trainer, TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(16, 15), TrainingFixture.ToyExamples(10, 16))).Model.Dispose();
            var eval = trainer.LogHistory.Single(r => r.ContainsKey("eval_loss"));
            return Math.Abs(eval["eval_loss"]!.GetValue<double>() - eval["eval_log_loss"]!.GetValue<double>());
        }
        Assert.True(Gap() < 1e-5);
        Assert.True(Gap(("class_weight", new JsonObject { ["positive"] = 10.0 })) > 1e-2);
    }

    [Fact]
    public void Options_are_parsed_once_before_training_with_errors_naming_the_file_line_and_key()
    {
        IClassifierTrainer trainer = new TransformerTrainer();
        var section = new JsonObject { ["model"] = "m", ["learning_rat"] = 1e-4 };
        var e = Assert.Throws<InputException>(() => trainer.ParseOptions(
            new ConfigReader(section, "transformer", "exp.yaml", key => key == "transformer.learning_rat" ? 12 : 9), TrainingFixture.Binary));
        Assert.Equal("exp.yaml", e.File);
        Assert.Equal(12, e.Line);
        Assert.Equal("transformer.learning_rat", e.Field);

        var weights = Assert.Throws<InputException>(() => trainer.ParseOptions(new ConfigReader(
            new JsonObject { ["model"] = "m", ["pos_weight"] = "balanced" }, "transformer", "exp.yaml", _ => 3), TrainingFixture.Binary));
        Assert.Equal("transformer.pos_weight", weights.Field);
        Assert.IsType<TransformerOptions>(trainer.ParseOptions(new ConfigReader(new JsonObject { ["model"] = "m" }, "transformer"), TrainingFixture.Binary));
    }

    [Fact]
    public void The_saved_model_is_the_best_evaluated_checkpoint()
    {
        var run = TrainingFixture.TempRun("best");
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("learning_rate", 2e-2), ("per_device_train_batch_size", 8),
            ("max_steps", 8), ("eval_strategy", "steps"), ("eval_steps", 1), ("metric_for_best_model", "eval_loss"), ("save_total_limit", 1));
        var trainer = new TransformerTrainer();
        var outcome = Train(trainer, TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 7), TrainingFixture.ToyExamples(16, 8)));
        using var trained = outcome.Model;
        TrainingFixture.SavePackage(outcome, run);
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

    private static TrainingOutcome Train(TransformerTrainer trainer, TrainingRequest request, CancellationToken cancellationToken = default) =>
        ((IClassifierTrainer)trainer).Train(request, cancellationToken);

    private sealed record ProgressUpdateRecord(string Stage, long Completed, long Total, string? Detail);
}
