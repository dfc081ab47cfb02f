using System.Diagnostics;
using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.Transformers.Training;
using Xunit.Abstractions;

namespace Classify.Transformers.Tests.Training;

/// <summary>Long-running checks with figures for the report: memory over many steps, a real-data fine-tune.</summary>
[Collection(TrainingCollection.Name)]
[Trait("Category", "Slow")]
public class TrainerMeasurements
{
    private readonly ITestOutputHelper _out;

    public TrainerMeasurements(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    [Fact]
    public void Memory_stays_flat_over_a_thousand_steps()
    {
        var run = TrainingFixture.TempRun("memory");
        var rss = new Dictionary<long, long>();
        var progress = new InlineProgress(u =>
        {
            if (u.Completed is 100 or 1000) rss[u.Completed] = ResidentBytes();
        });
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert"), ("learning_rate", 1e-3), ("per_device_train_batch_size", 8),
            ("max_steps", 1000), ("logging_steps", 100), ("eval_strategy", "no"), ("save_strategy", "no"));
        var clock = Stopwatch.StartNew();
        using var trained = ((IClassifierTrainer)new TransformerTrainer()).Train(
            TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(256, 9), [], progress: progress), CancellationToken.None).Model;
        _out.WriteLine($"RSS at step 100: {rss[100] / 1048576.0:0.0} MiB, at step 1000: {rss[1000] / 1048576.0:0.0} MiB; {clock.Elapsed.TotalMilliseconds / 1000:0.00} ms/step");
        Assert.True(rss[1000] - rss[100] < 64L << 20, $"RSS grew by {(rss[1000] - rss[100]) / 1048576.0:0.0} MiB");
    }

    [Fact]
    public void Three_thousand_token_inputs_train_in_bounded_memory_with_a_token_budget()
    {
        // 16 texts of 3,000+ tokens, batches of 8, a budget of one 3,000-token row per forward: 8 forwards per step, 6 steps.
        var random = new Classify.Core.Randomness.SeededRandom(21);
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
        var train = Enumerable.Range(0, 16).Select(i => new Example($"long-{i}",
            string.Join(' ', Enumerable.Range(0, 3200).Select(_ => words[random.NextInt(words.Length)])), [i % 2])).ToList();
        var run = TrainingFixture.TempRun("long-inputs");
        var rss = new Dictionary<long, long>();
        var progress = new InlineProgress(u => { if (u.Completed > 0) rss[u.Completed] = ResidentBytes(); });
        var options = TrainingFixture.Options("scratch:modernbert-tiny", ("learning_rate", 1e-3), ("per_device_train_batch_size", 8),
            ("max_steps", 6), ("logging_steps", 1), ("eval_strategy", "no"), ("save_strategy", "no"), ("max_length", 3000),
            ("group_by_length", true), ("max_tokens_per_batch", 3000));
        var clock = Stopwatch.StartNew();
        var trainer = new TransformerTrainer { ScratchCacheRoot = Path.Combine(run, "scratch") };
        using var trained = ((IClassifierTrainer)trainer).Train(TrainingFixture.Request(run, options, train, [], progress: progress), CancellationToken.None).Model;
        var losses = TrainingFixture.Losses(trainer.LogHistory);
        _out.WriteLine($"RSS after steps 1–6: {string.Join(", ", rss.OrderBy(p => p.Key).Select(p => $"{p.Value / 1048576.0:0}"))} MiB; " +
                       $"{clock.Elapsed.TotalSeconds / 6:0.0} s/step; losses {string.Join(" ", losses.Select(l => l.ToString("0.000")))}");
        Assert.Equal(6, losses.Length);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        // The allocator settles within a few steps (docs/benchmarks.md, "Long inputs"); after that RSS stays flat.
        Assert.True(rss[6] - rss[3] < 96L << 20, $"RSS grew by {(rss[6] - rss[3]) / 1048576.0:0.0} MiB from step 3 to step 6");
    }

    [Fact]
    public void Scratch_bert_mini_on_tweets()
    {
        var tweets = CsvTable.Read(TestPaths.SharedData("tweet-sentiment-extraction", "train.csv"));
        int id = tweets.Header.IndexOf("textID"), text = tweets.Header.IndexOf("text"), sentiment = tweets.Header.IndexOf("sentiment");
        var rows = tweets.Rows.Where(r => r[text]!.Trim().Length > 0).ToList();
        var schema = new LabelSchema(TaskKind.Multiclass, ["negative", "neutral", "positive"]);
        var examples = rows.Select(r => new Example(r[id]!, r[text]!.Trim(), [schema.IndexOf(r[sentiment]!)])).ToList();
        var train = examples.Take(3000).ToList();
        var val = examples.Skip(3000).Take(1000).ToList();
        var run = TrainingFixture.TempRun("tweets");
        var options = TrainingFixture.Options("scratch:bert-mini", ("learning_rate", 1e-3), ("per_device_train_batch_size", 16),
            ("num_train_epochs", 1), ("warmup_ratio", 0.1), ("weight_decay", 0.01), ("group_by_length", true), ("max_length", 64));
        var clock = Stopwatch.StartNew();
        var trainer = new TransformerTrainer { ScratchCacheRoot = Path.Combine(run, "scratch") };
        using var trained = ((IClassifierTrainer)trainer).Train(TrainingFixture.Request(run, options, train, val, schema), CancellationToken.None).Model;
        var predictor = trained.Predictor;
        var trainSeconds = clock.Elapsed.TotalSeconds;
        int steps = trainer.LogHistory[^1]["step"]!.GetValue<int>();
        var eval = trainer.LogHistory.Last(r => r.ContainsKey("eval_macro_f1"));
        var probabilities = predictor.PredictProbabilities(val.Select(e => new TextInput(e.Text)).ToList());
        var report = MetricReport.Compute("val", schema, val.Select(e => e.Labels).ToList(),
            probabilities.Select(p => DecisionRule.Apply(schema, p)).ToList(), probabilities);
        _out.WriteLine($"{steps} steps in {trainSeconds:0.0} s ({1000 * trainSeconds / steps:0} ms/step incl. eval); " +
                       $"val macro-F1 {eval["eval_macro_f1"]} (predictor: {report.MacroF1:0.000}), accuracy {report.Accuracy:0.000}");
        Assert.Equal(eval["eval_macro_f1"]!.GetValue<double>(), report.MacroF1, 6);
        Assert.True(report.MacroF1 > 0.19, "worse than the majority baseline");
    }

    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        return Process.GetCurrentProcess().WorkingSet64;
    }
}
