using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Training;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Training;

public class TrainingComponentTests
{
    public TrainingComponentTests() => Classify.Transformers.Native.TorchRuntime.EnsureInitialized();

    [Theory]
    // HF get_linear_schedule_with_warmup(warmup 10, total 100)
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 0, 0.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 5, 0.5)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 10, 1.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 55, 0.5)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 100, 0.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 120, 0.0)]
    // HF get_cosine_schedule_with_warmup(warmup 10, total 110, num_cycles 0.5): 0.5 (1 + cos(π progress))
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 3, 0.3)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 10, 1.0)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 35, 0.85355339059327373)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 60, 0.5)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 85, 0.14644660940672627)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 110, 0.0)]
    [InlineData(LearningRateSchedulerType.Constant, 10, 100, 3, 1.0)]
    [InlineData(LearningRateSchedulerType.ConstantWithWarmup, 4, 100, 1, 0.25)]
    [InlineData(LearningRateSchedulerType.ConstantWithWarmup, 4, 100, 50, 1.0)]
    public void Schedules_equal_the_Hugging_Face_formulas(LearningRateSchedulerType type, int warmup, int total, int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(type, warmup, total).Factor(step), 12);

    [Fact]
    public void Warmup_ratio_rounds_up_as_HF()
    {
        Assert.Equal(6, LearningRateSchedule.ResolveWarmupSteps(0, 0.06, 100));
        Assert.Equal(4, LearningRateSchedule.ResolveWarmupSteps(0, 0.1, 31));
        Assert.Equal(5, LearningRateSchedule.ResolveWarmupSteps(5, 0.5, 100));
    }

    [Fact]
    public void Weight_decay_skips_biases_and_norm_weights()
    {
        using var model = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-bert"));
        var decay = AdamW.DecayParameterNames(model);
        Assert.Contains("bert.embeddings.word_embeddings.weight", decay);
        Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", decay);
        Assert.Contains("classifier.weight", decay);
        Assert.DoesNotContain("bert.embeddings.LayerNorm.weight", decay);
        Assert.DoesNotContain("bert.encoder.layer.1.output.LayerNorm.weight", decay);
        Assert.DoesNotContain("classifier.bias", decay);
        Assert.DoesNotContain(decay, n => n.EndsWith(".bias", StringComparison.Ordinal) || n.Contains("LayerNorm", StringComparison.Ordinal));

        using var modern = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-modernbert"));
        var modernDecay = AdamW.DecayParameterNames(modern);
        Assert.Contains("model.layers.0.attn.Wqkv.weight", modernDecay);
        Assert.DoesNotContain("model.final_norm.weight", modernDecay);
        Assert.DoesNotContain("model.layers.1.attn_norm.weight", modernDecay);
    }

    [Fact]
    public void AdamW_step_matches_the_torch_update()
    {
        using var module = nn.Linear(3, 2, hasBias: true);
        using var _ = no_grad();
        var w0 = module.weight!.clone();
        var b0 = module.bias!.clone();
        using var optimizer = new AdamW(module, 0.9, 0.999, 1e-8, weightDecay: 0.1);
        var g = tensor(new float[] { 0.5f, -1f, 2f, 0.1f, 0f, -0.3f }, [2, 3]);
        module.weight!.grad = g.clone();
        module.bias!.grad = tensor(new float[] { 1f, -2f });
        optimizer.Step(0.01);
        // First Adam step: m̂ = g, v̂ = g², so the update is lr · g / (|g| + ε); decay only on the weight.
        var expectedW = w0 * (1 - 0.01 * 0.1) - 0.01 * g / (g.abs() + 1e-8);
        var expectedB = b0 - 0.01 * tensor(new float[] { 1f, -1f });
        Assert.True(module.weight!.allclose(expectedW, rtol: 1e-5, atol: 1e-6));
        Assert.True(module.bias!.allclose(expectedB, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Balanced_class_weights_follow_sklearn()
    {
        // sklearn: compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,0,1,1,2]) = n / (k · count)
        var w = LossWeighting.BalancedClassWeights([0, 0, 0, 0, 1, 1, 2], 3);
        Assert.Equal([7.0 / 12, 7.0 / 6, 7.0 / 3], w, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Positive_weights_are_log_scaled_and_clipped()
    {
        // 10 examples; label 0 positive in 2, label 1 in 9, label 2 in none, label 3 in all.
        var sets = Enumerable.Range(0, 10).Select(i => new[] { 0, 1, 2, 3 }.Where(c =>
            c == 0 ? i < 2 : c == 1 ? i < 9 : c == 3).ToArray()).ToList();
        var log = LossWeighting.PositiveWeights(sets, 4, LossWeighting.LogScaled);
        Assert.Equal(1 + Math.Log(9.0 / 3.0), log[0], 12);
        Assert.Equal(LossWeighting.MinPositiveWeight, log[1], 12);   // 1 + ln(2/10) < 0.1
        Assert.Equal(1 + Math.Log(11.0 / 1.0), log[2], 12);
        Assert.Equal(LossWeighting.MinPositiveWeight, log[3], 12);
        var balanced = LossWeighting.PositiveWeights(sets, 4, LossWeighting.Balanced);
        Assert.Equal([4.0, 1.0 / 9, LossWeighting.MaxPositiveWeight, LossWeighting.MinPositiveWeight], balanced, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Class_weighted_cross_entropy_is_the_weighted_mean()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        using var loss = new TrainingLoss(schema, [1.0, 2.0, 0.5]);
        var logits = tensor(new float[] { 2f, 0f, -1f, 0.5f, 0.5f, 0f, -1f, 1f, 3f }, [3, 3]);
        using var targets = loss.Targets([[0], [1], [2]], [0, 1, 2]);
        double value = loss.Compute(logits, targets).item<float>();
        double Nll(float[] row, int y) => -Math.Log(Math.Exp(row[y]) / row.Sum(v => Math.Exp(v)));
        double expected = (1.0 * Nll([2f, 0f, -1f], 0) + 2.0 * Nll([0.5f, 0.5f, 0f], 1) + 0.5 * Nll([-1f, 1f, 3f], 2)) / 3.5;
        Assert.Equal(expected, value, 5);
    }

    [Fact]
    public void Pos_weight_scales_the_positive_term_of_BCE()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["x", "y"]);
        using var loss = new TrainingLoss(schema, [3.0, 1.0]);
        var logits = tensor(new float[] { 0.2f, -0.4f }, [1, 2]);
        using var targets = loss.Targets([[0]], [0]);
        double value = loss.Compute(logits, targets).item<float>();
        double Sig(double z) => 1 / (1 + Math.Exp(-z));
        double expected = (-3.0 * Math.Log(Sig(0.2)) - Math.Log(1 - Sig(-0.4))) / 2;
        Assert.Equal(expected, value, 5);
    }

    private static TrainingArguments Parse(JsonObject section, bool hasValidation = true, LabelSchema? schema = null) =>
        TransformerOptions.FromJson(section, schema ?? new LabelSchema(TaskKind.Binary, ["a", "b"])).For(hasValidation);

    [Fact]
    public void Options_are_validated_with_key_paths()
    {
        var typo = Assert.Throws<InputException>(() => Parse(new JsonObject { ["model"] = "m", ["learning_rat"] = 1e-4 }));
        Assert.Contains("transformer.learning_rat", typo.Message);
        var bad = Assert.Throws<InputException>(() => Parse(new JsonObject { ["model"] = "m", ["lr_scheduler_type"] = "step" }));
        Assert.Contains("lr_scheduler_type", bad.Message);
        var args = Parse(new JsonObject
        {
            ["model"] = "m", ["metric_for_best_model"] = "eval_loss", ["eval_strategy"] = "steps", ["eval_steps"] = 10,
            ["save_steps"] = 20, ["class_weight"] = new JsonObject { ["b"] = 2.0 }, ["resume_from_checkpoint"] = true, ["seed"] = 7,
        });
        Assert.Equal(TrainingArguments.EvalLossKey, args.MetricForBestModel);
        Assert.False(args.GreaterIsBetter);
        Assert.Equal(7, args.Seed);
        Assert.Null(Parse(new JsonObject { ["model"] = "m" }).Seed);   // the run seed
        Assert.Equal(TrainingArguments.LatestCheckpoint, args.ResumeFromCheckpoint);
        Assert.Equal(2.0, args.ClassWeight!.ByLabel!["b"]);
        Assert.Throws<InputException>(() => Parse(new JsonObject
        {
            ["model"] = "m", ["eval_strategy"] = "steps", ["eval_steps"] = 10, ["save_steps"] = 15,
        }));
        var unknownLabel = Assert.Throws<InputException>(() => Parse(new JsonObject { ["model"] = "m", ["class_weight"] = new JsonObject { ["c"] = 2.0 } }));
        Assert.Equal("transformer.class_weight", unknownLabel.Field);
    }

    [Fact]
    public void Settings_that_depend_on_the_validation_split_are_checked_for_the_actual_run()
    {
        // Defaults: evaluate every epoch with a validation split, never without one.
        Assert.Equal(IntervalStrategy.Epoch, Parse(new JsonObject { ["model"] = "m" }).EvalStrategy);
        var none = Parse(new JsonObject { ["model"] = "m" }, hasValidation: false);
        Assert.Equal(IntervalStrategy.No, none.EvalStrategy);
        Assert.False(none.LoadBestModelAtEnd);
        // Wrong only without a validation split: parsed fine, refused for such a run, naming the key.
        var options = TransformerOptions.FromJson(new JsonObject { ["model"] = "m", ["eval_strategy"] = "steps" }, new LabelSchema(TaskKind.Binary, ["a", "b"]));
        Assert.Equal(IntervalStrategy.Steps, options.For(true).EvalStrategy);
        Assert.Equal("transformer.eval_strategy", Assert.Throws<InputException>(() => options.For(false)).Field);
        // Wrong only with one (save_strategy differs from the evaluation default): fine for a run without.
        var steps = TransformerOptions.FromJson(new JsonObject { ["model"] = "m", ["save_strategy"] = "steps" }, new LabelSchema(TaskKind.Binary, ["a", "b"]));
        Assert.Equal(IntervalStrategy.Steps, steps.For(false).SaveStrategy);
        Assert.Equal("transformer.save_strategy", Assert.Throws<InputException>(() => steps.For(true)).Field);
        // Wrong either way: refused when parsed.
        Assert.Throws<InputException>(() => TransformerOptions.FromJson(new JsonObject { ["model"] = "m", ["max_steps"] = 0 },
            new LabelSchema(TaskKind.Binary, ["a", "b"])));
    }

    [Fact]
    public void The_unknown_setting_message_lists_every_key_that_is_read()
    {
        var e = Assert.Throws<InputException>(() => Parse(new JsonObject { ["model"] = "m", ["early_stoping_patience"] = 3 }));
        var listed = System.Text.RegularExpressions.Regex.Match(e.Reason, @"known here: (.*)\)$").Groups[1].Value.Split(", ");
        string[] keys =
        [
            "model", "tokenizer", "learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
            "num_train_epochs", "max_steps", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "lr_scheduler_type", "warmup_ratio",
            "warmup_steps", "max_grad_norm", "bf16", "eval_strategy", "eval_steps", "logging_steps", "save_strategy", "save_steps", "save_total_limit",
            "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "early_stopping_patience", "early_stopping_threshold",
            "seed", "max_length", "group_by_length", "max_tokens_per_batch", "class_weight", "pos_weight", "resume_from_checkpoint",
        ];
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        // Each of them is accepted (none is known to the message but refused by the reader, or the other way round).
        foreach (var key in new[] { "early_stopping_patience", "save_total_limit", "max_length", "max_tokens_per_batch" })
            Parse(new JsonObject { ["model"] = "m", [key] = 2 });
    }

    [Fact]
    public void Stale_checkpoint_staging_folders_are_removed_and_an_orphaned_previous_copy_restored()
    {
        var dir = Path.Combine(Path.GetTempPath(), "classify-stale-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint-4"));
        Directory.CreateDirectory(Path.Combine(dir, $".checkpoint-6.{Guid.NewGuid():N}.tmp"));
        Directory.CreateDirectory(Path.Combine(dir, $".checkpoint-4.{Guid.NewGuid():N}.old"));   // checkpoint-4 exists: stale copy
        var orphan = Path.Combine(dir, $".checkpoint-2.{Guid.NewGuid():N}.old");                 // checkpoint-2 is missing: restore
        Directory.CreateDirectory(orphan);
        File.WriteAllText(Path.Combine(orphan, "trainer_state.json"), "{}");
        Directory.CreateDirectory(Path.Combine(dir, ".unrelated"));

        var handled = new Checkpoints(dir).RemoveStaleTemporaries();
        Assert.Equal(3, handled.Count);
        Assert.Equal([".unrelated", "checkpoint-2", "checkpoint-4"], Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint-2", "trainer_state.json")));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Length_grouped_batches_are_sorted_within_megabatches_and_longest_first()
    {
        var random = new Classify.Core.Randomness.SeededRandom(3);
        var lengths = Enumerable.Range(0, 1000).Select(_ => 1 + random.NextInt(100)).ToArray();
        var sampler = new BatchSampler(lengths, 4, groupByLength: true, seed: 5);
        var batches = sampler.Batches(0);
        var flat = batches.SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 1000), flat.Order());
        Assert.Equal(lengths.Max(), lengths[flat[0]]);
        // Within each megabatch of 200 (after the first element) lengths never increase.
        for (int m = 0; m < 5; m++)
            for (int i = m * 200 + 2; i < (m + 1) * 200; i++)
                Assert.True(lengths[flat[i]] <= lengths[flat[i - 1]]);
        Assert.Equal(batches.Select(b => b.ToArray()), sampler.Batches(0).Select(b => b.ToArray()));
        Assert.NotEqual(batches[0], sampler.Batches(1)[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Token_budget_cuts_every_batch_within_the_budget_and_keeps_every_example_once(bool groupByLength)
    {
        var random = new Classify.Core.Randomness.SeededRandom(9);
        var lengths = Enumerable.Range(0, 500).Select(_ => 1 + random.NextInt(3000)).ToArray();
        lengths[17] = 5000;   // longer than the budget: alone
        const int budget = 6000;
        var sampler = new BatchSampler(lengths, 16, groupByLength, seed: 4);
        foreach (var epoch in new[] { 0, 1 })
        {
            var batches = sampler.Batches(epoch);
            var forwards = new List<int[]>();
            foreach (var batch in batches)
            {
                var parts = BatchSampler.Split(batch, lengths, budget);
                // The batch's rows, each exactly once, in its micro-batches.
                Assert.Equal(batch.Order(), parts.SelectMany(p => p).Order());
                foreach (var part in parts)
                    Assert.True(part.Length == 1 || (long)part.Length * part.Max(i => lengths[i]) <= budget,
                        $"{part.Length} rows of up to {part.Max(i => lengths[i])} tokens exceed {budget}");
                // Deterministic: the same cut again.
                Assert.Equal(parts, BatchSampler.Split(batch, lengths, budget));
                forwards.AddRange(parts);
            }
            Assert.Equal(Enumerable.Range(0, lengths.Length), forwards.SelectMany(p => p).Order());
            Assert.Contains(forwards, p => p.Length == 1 && p[0] == 17);
            Assert.True(forwards.Count > batches.Count, "nothing was cut");
        }
    }

    [Fact]
    public void Token_budget_keeps_a_batch_that_fits_whole_and_in_order()
    {
        int[] lengths = [10, 30, 20, 30];
        int[] batch = [0, 1, 2, 3];
        Assert.Same(batch, Assert.Single(BatchSampler.Split(batch, lengths, null)));
        Assert.Same(batch, Assert.Single(BatchSampler.Split(batch, lengths, 120)));
        // 119: longest first, ties in batch order — [1, 3, 2] (3 × 30 = 90 ≤ 119), then [0].
        Assert.Equal([[1, 3, 2], [0]], BatchSampler.Split(batch, lengths, 119));
        Assert.Equal([[1], [3], [2], [0]], BatchSampler.Split(batch, lengths, 5));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
