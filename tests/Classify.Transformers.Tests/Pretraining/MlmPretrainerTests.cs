using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Training;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Pretraining;
using Classify.Transformers.Tests.Training;

namespace Classify.Transformers.Tests.Pretraining;

/// <summary><see cref="MlmPretrainer"/>: output folder, checkpoints, resume after cancellation, held-out perplexity, bad input.</summary>
[Collection(TrainingCollection.Name)]
public sealed class MlmPretrainerTests : IDisposable
{
    private readonly string _dir = TrainingFixture.TempRun("pretrain");

    public MlmPretrainerTests() => Classify.Transformers.Native.TorchRuntime.EnsureInitialized();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Corpus(int lines = 60)
    {
        var path = Path.Combine(_dir, $"corpus-{lines}.txt");
        File.WriteAllLines(path, TrainingFixture.ToyExamples(lines, 3).Select(e => e.Text).Append("").Append("   "));
        return path;
    }

    private static PretrainingArguments Args(string data, string model, params (string Key, JsonNode? Value)[] pretrain)
    {
        var section = new JsonObject
        {
            ["model"] = model, ["learning_rate"] = 1e-3, ["per_device_train_batch_size"] = 8, ["max_steps"] = 6, ["max_length"] = 16,
            ["line_by_line"] = true, ["validation_fraction"] = 0.1, ["eval_steps"] = 2, ["save_steps"] = 2, ["logging_steps"] = 1,
            ["save_total_limit"] = null, ["seed"] = 5,
        };
        foreach (var (key, value) in pretrain) section[key] = value;
        return PretrainingArguments.Read(new ConfigReader(new JsonObject { ["data"] = new JsonObject { ["path"] = data }, ["pretrain"] = section }));
    }

    private sealed class StopAt(int step, CancellationTokenSource cts) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value)
        {
            if (value.Completed == step) cts.Cancel();
        }
    }

    [Fact]
    public void The_output_is_an_MLM_folder_with_loadable_checkpoints_log_and_held_out_perplexity()
    {
        var output = Path.Combine(_dir, "out");
        var result = new MlmPretrainer().Run(Args(Corpus(), TestPaths.Fixture("tiny-bert-mlm")), output, resume: false, CancellationToken.None);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal("BertForMaskedLM", (string?)config["architectures"]![0]);
        using (var weights = SafeTensorsCheckpoint.Open(output))
        {
            Assert.DoesNotContain("cls.predictions.decoder.weight", weights.Tensors.Keys);
            Assert.Contains("cls.predictions.bias", weights.Tensors.Keys);
        }
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        using (var reloaded = AutoModelForMaskedLM.FromPretrained(output)) Assert.IsType<BertForMaskedLM>(reloaded);
        foreach (var step in new[] { 2, 4, 6 })
        {
            var checkpoint = Path.Combine(output, "checkpoints", $"checkpoint-{step}");
            using var model = AutoModelForMaskedLM.FromPretrained(checkpoint);
            Assert.True(File.Exists(Path.Combine(checkpoint, "optimizer.safetensors")));
        }

        var metrics = result.Metrics;
        Assert.Equal(6, (int)metrics["global_step"]!);
        double loss = (double)metrics["eval_loss"]!;
        Assert.Equal(Math.Exp(loss), (double)metrics["perplexity"]!, 9);
        Assert.True(loss is > 0 and < 20);
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.Equal(loss, (double)written["eval_loss"]!);
        var rows = File.ReadAllLines(Path.Combine(output, "log.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([2, 4, 6], rows.Where(r => r["eval_loss"] is not null).Select(r => (int)r["step"]!));
        Assert.Equal(6, rows.Count(r => r["loss"] is not null));
        Assert.True(File.Exists(Path.Combine(output, "pretrain_config.json")));
    }

    [Theory]
    [InlineData(2)]   // stopped right after checkpoint-2
    [InlineData(3)]   // stopped between checkpoints: Ctrl+C writes checkpoint-3
    public void A_run_cancelled_and_resumed_ends_with_the_bytes_of_the_uninterrupted_run(int stopAfter)
    {
        var corpus = Corpus();
        var args = Args(corpus, TestPaths.Fixture("tiny-bert-mlm"), ("gradient_accumulation_steps", 2), ("per_device_train_batch_size", 4));
        var straight = Path.Combine(_dir, "straight");
        var straightResult = new MlmPretrainer().Run(args, straight, resume: false, CancellationToken.None);

        var resumed = Path.Combine(_dir, "resumed");
        using (var cts = new CancellationTokenSource())
        {
            var stopped = new MlmPretrainer { Progress = new StopAt(stopAfter, cts) };
            Assert.ThrowsAny<OperationCanceledException>(() => stopped.Run(args, resumed, resume: false, cts.Token));
        }
        Assert.True(Directory.Exists(Path.Combine(resumed, "checkpoints", $"checkpoint-{stopAfter}")));
        Assert.False(File.Exists(Path.Combine(resumed, "model.safetensors")));
        var resumedResult = new MlmPretrainer().Run(args, resumed, resume: true, CancellationToken.None);

        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
        Assert.Equal((double)straightResult.Metrics["eval_loss"]!, (double)resumedResult.Metrics["eval_loss"]!);
        // The training rows agree; an evaluation the cancellation interrupted is not in the resumed log.
        static IEnumerable<string> Rows(string dir) => File.ReadAllLines(Path.Combine(dir, "log.jsonl")).Where(l => l.StartsWith("{\"loss\"", StringComparison.Ordinal));
        Assert.Equal(6, Rows(straight).Count());
        Assert.Equal(Rows(straight), Rows(resumed));
    }

    [Fact]
    public void A_classification_folder_starts_a_fresh_MLM_head_and_grouped_blocks_fill_max_length()
    {
        var output = Path.Combine(_dir, "from-classifier");
        var args = Args(Corpus(), TestPaths.Fixture("tiny-bert"), ("line_by_line", false), ("max_steps", 2), ("whole_word_masking", true));
        var log = new List<string>();
        var result = new MlmPretrainer { Log = log.Add }.Run(args, output, resume: false, CancellationToken.None);
        Assert.Contains(log, l => l.Contains("newly initialized", StringComparison.Ordinal) && l.Contains("cls.predictions", StringComparison.Ordinal));
        Assert.Equal(2, (int)result.Metrics["global_step"]!);
        Assert.Equal(0, (long)result.Metrics["tokens"]! % 16);
        using var model = AutoModelForMaskedLM.FromPretrained(output);
        Assert.IsType<BertForMaskedLM>(model);
    }

    private InputException Refused(Func<PretrainingArguments> args, string output, bool resume = false)
    {
        var error = Assert.Throws<InputException>(() => new MlmPretrainer().Run(args(), output, resume, CancellationToken.None));
        return error;
    }

    [Fact]
    public void Bad_corpora_and_settings_are_refused_before_anything_is_written()
    {
        var model = TestPaths.Fixture("tiny-bert-mlm");
        var output = Path.Combine(_dir, "never");

        var empty = Path.Combine(_dir, "empty.txt");
        File.WriteAllLines(empty, ["", "  ", ""]);
        Assert.Contains("has no text", Refused(() => Args(empty, model), output).Message);

        var oneToken = Path.Combine(_dir, "short.txt");
        File.WriteAllLines(oneToken, ["good", "a", "the"]);
        Assert.Contains("shorter than 2 tokens", Refused(() => Args(oneToken, model), output).Message);
        Assert.Contains("fewer tokens than one block", Refused(() => Args(oneToken, model, ("line_by_line", false)), output).Message);

        Assert.Contains("exceeds the 64 positions", Refused(() => Args(Corpus(), model, ("max_length", 100)), output).Message);

        foreach (var bad in new[] { 0.0, 1.0, 1.5 })
        {
            var error = Assert.Throws<InputException>(() => Args(Corpus(), model, ("mlm_probability", bad)));
            Assert.Equal("pretrain.mlm_probability", error.Field);
        }
        Assert.Equal("pretrain.nonsense", Assert.Throws<InputException>(() => Args(Corpus(), model, ("nonsense", 1))).Field);

        // A tokenizer with more tokens than the model's vocab_size (bert-base-uncased's 30,522 against 1,000).
        var bigTokenizer = Path.Combine(_dir, "big-tokenizer");
        BundledTokenizers.WriteTo(BundledTokenizers.ForFamily("bert"), bigTokenizer);
        var vocab = Refused(() => Args(Corpus(), model, ("tokenizer", bigTokenizer)), output);
        Assert.Contains("vocab_size", vocab.Message + vocab.Field);

        // --resume without a checkpoint, and with a checkpoint that has no MLM head.
        Assert.Contains("no checkpoint", Refused(() => Args(Corpus(), model), output, resume: true).Message);
        Assert.False(Directory.Exists(output));

        var classifierRun = Path.Combine(_dir, "classifier-run");
        var fake = Path.Combine(classifierRun, "checkpoints", "checkpoint-2");
        Directory.CreateDirectory(fake);
        foreach (var file in Directory.GetFiles(TestPaths.Fixture("tiny-bert"))) File.Copy(file, Path.Combine(fake, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(fake, "trainer_state.json"), """{"global_step": 2, "max_steps": 6}""");
        Assert.Contains("not a masked-LM checkpoint", Refused(() => Args(Corpus(), model), classifierRun, resume: true).Message);

        // A folder that is not empty is not overwritten.
        Assert.Contains("not empty", Refused(() => Args(Corpus(), model), classifierRun).Message);
    }
}
