// Transformer throughput, Classify (TorchSharp) side. Run through bench/run-transformer-bench.sh, which runs the
// PyTorch reference (bench/torch/bert_bench.py) on the same shapes and writes the comparison.
//
//   prepare-tweets <ids.json> [count]     tokenize the first <count> (2048) tweets with bert-base-uncased (max_length 128)
//   run <ids.json> <results.json> [--threads 2] [--iterations 5] [--warmup 2] [--pad128-tweets 128]
//   gemm [--threads 2] [--iterations 20] [--dtype fp32|bf16]
//                                         matmul GFLOP/s (wall and process CPU time); bench/torch/gemm_bench.py is the PyTorch side
//   pretrain-curve <output-folder> [--model bert-mini] [--steps 500] [--seed 1] [--dtype fp32|bf16] [--rows 20000]
//                                         MLM pretraining of scratch:<model> on the first --rows tweets (batch 16, max_length
//                                         32, lr 5e-4, loss logged every 10 steps) through MlmPretrainer, for the bf16 vs fp32
//                                         loss curves of docs/benchmarks.md (compare log.jsonl of runs with other seeds/dtypes)
//   precision [results.json] [--model bert-base] [--threads 2] [--iterations 3] [--warmup 1]
//                                         bf16 vs fp32 training steps (fine-tuning 16×64, MLM 16×128) and inference 32×128;
//                                         bench/torch/bert_train_bench.py is the PyTorch side of the training steps
//   mc-dropout [--model bert-mini] [--passes 10] [--rows 256] [--batch-size 32] [--mc-batch-size 320] [--threads 2] [--iterations 5] [--warmup 1]
//                                         N Monte-Carlo-dropout passes fused (MonteCarloDropout.PredictPasses) vs N deterministic
//                                         passes of the same tweets; prints a Markdown section for docs/benchmarks.md
//   long-inputs [--model modernbert-mini] [--lengths 512,1024,3000] [--batch-size 4] [--accumulation 2] [--train-rows 1]
//               [--iterations 2] [--warmup 1] [--threads 2] [--attention banded|full]
//                                         scratch ModernBERT at long sequence lengths: inference per example (batch 1 and
//                                         --batch-size) and a training step (--accumulation micro-batches of --train-rows rows,
//                                         forward + backward + AdamW), each length and phase in a child process so peak
//                                         RSS (VmHWM) does not mix; prints a Markdown table for docs/benchmarks.md
//   window-attention [--lengths 512,1024,3000] [--iterations 5]
//                                         one local layer's attention (base shapes): full mask vs block by block, timed alternately
//   padding-waste [--batch-size 16]       AnnoMI with 3 turns of context (ModernBERT tokenizer): padded vs real tokens
//                                         of the training batches, with and without group_by_length
//
// Model: a randomly initialised BERT-base (scratch:bert-base — 12 layers, hidden 768, 12 heads, fp32, 2 labels).
// Measured: inference sentences/s at 32×128 and 32×32, training samples/s at 16×64 (forward + backward + AdamW),
// and the 2,048 tweets through TransformerPredictor (tokenize, sort by length, dynamic padding) vs padding every
// batch of 32 to 128 tokens in file order (the notebook's regime).
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using TorchSharp;
using static TorchSharp.torch;

var command = args.Length > 0 ? args[0] : "";
var options = ParseOptions(args.Skip(1).ToArray());
switch (command)
{
    case "prepare-tweets":
        PrepareTweets(Positional(0), options.Count);
        break;
    case "run":
        Run(Positional(0), Positional(1), options);
        break;
    case "gemm":
        Gemm(options);
        break;
    case "precision":
        Precision(options, args);
        break;
    case "forward-profile":
        ForwardProfile(options);
        break;
    case "pretrain-curve":
        PretrainCurve(options);
        break;
    case "mc-dropout":
        McDropout(options, args);
        break;
    case "long-inputs":
        LongInputs.Run(options, args);
        break;
    case "window-attention":
        LongInputs.WindowAttention(options);
        break;
    case "padding-waste":
        LongInputs.PaddingWaste(options);
        break;
    case "long-inputs-child":
        LongInputs.Child(options);
        break;
    default:
        Console.Error.WriteLine("usage: prepare-tweets <ids.json> [--count 2048] | run <ids.json> <results.json> [--threads 2] [--iterations 5] [--warmup 2] [--pad128-tweets 128] | gemm [--threads 2] [--iterations 20] | mc-dropout [--model bert-mini] [--passes 10] [--rows 256] [--batch-size 32] [--mc-batch-size N] [--threads 2] [--iterations 5] [--warmup 1]");
        return 2;
}
return 0;

string Positional(int index) => options.Positional.Count > index ? options.Positional[index]
    : throw new ArgumentException($"missing argument {index + 1} of '{command}'");

static void PrepareTweets(string output, int count)
{
    var root = BenchSupport.FindRepoRoot();
    var texts = BenchSupport.ReadTextColumn(Path.Combine(root, "..", "shared", "data", "tweet-sentiment-extraction", "train.csv")).Take(count).ToList();
    var tokenizer = BertBaseTokenizer();
    var ids = texts.Select(t => tokenizer.Encode(t, null, new EncodeOptions { MaxLength = 128, Truncation = TruncationStrategy.LongestFirst }).InputIds).ToList();
    File.WriteAllText(output, JsonSerializer.Serialize(new { texts, input_ids = ids }));
    Console.WriteLine($"{ids.Count} tweets, mean {ids.Average(i => i.Length):F1} tokens, max {ids.Max(i => i.Length)} -> {output}");
}

static void Run(string tweetsPath, string resultsPath, BenchOptions o)
{
    TorchRuntime.EnsureInitialized(o.Threads);
    set_num_threads(o.Threads);
    var results = new JsonObject
    {
        ["side"] = "classify",
        ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
        ["libtorch_threads"] = get_num_threads(),
        ["iterations"] = o.Iterations,
        ["warmup"] = o.Warmup,
        ["dotnet"] = Environment.Version.ToString(),
    };
    manual_seed(0);
    var scratch = ScratchModels.Create("scratch:bert-base", Path.Combine(Path.GetTempPath(), "classify-bench-scratch"), seed: 0);
    using var predictor = TransformerPredictor.Load(scratch, options: new TransformerPredictorOptions { BatchSize = 32, MaxLength = 128, Threads = o.Threads });
    var model = predictor.Model;

    // Fixed shapes, model only.
    foreach (var (batch, seq) in new[] { (32, 128), (32, 32) })
    {
        using var ids = randint(1000, 30000, [batch, seq], dtype: ScalarType.Int64);
        using var mask = ones([batch, seq], dtype: ScalarType.Int64);
        using var types = zeros([batch, seq], dtype: ScalarType.Int64);
        var (wall, cpu) = Time(o, () =>
        {
            using var _ = inference_mode();
            using var output = model.Forward(ids, mask, types);
        });
        Report(results, $"inference_{batch}x{seq}_sentences_per_s", batch, wall, cpu);
    }

    // Tweets. One pass over all of them is already 64 batches, so each regime is timed over one full pass after a
    // warm-up pass over the first 256. Through the predictor: tokenization + length sorting + dynamic padding.
    var tweets = JsonNode.Parse(File.ReadAllText(tweetsPath))!;
    var texts = tweets["texts"]!.AsArray().Select(t => new TextInput(t!.GetValue<string>())).ToArray();
    predictor.PredictProbabilities(texts[..256]);
    var clock = Clock.Start();
    predictor.PredictProbabilities(texts);
    Report(results, "tweets_dynamic_sentences_per_s", texts.Length, clock.Wall, clock.Cpu);

    // The notebook's regime: file order, every batch of 32 padded to 128. Every batch then has the fixed 32×128
    // shape, so the rate is measured on the first --pad128-tweets tweets only.
    var encodings = tweets["input_ids"]!.AsArray().Take(o.Pad128Tweets)
        .Select(r => r!.AsArray().Select(x => (long)x!.GetValue<int>()).ToArray()).ToArray();
    clock = Clock.Start();
    using (inference_mode())
    {
        for (int start = 0; start < encodings.Length; start += 32)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(32, encodings.Length - start);
            var ids = new long[n * 128];
            var mask = new long[n * 128];
            for (int r = 0; r < n; r++)
            {
                var row = encodings[start + r];
                Array.Copy(row, 0, ids, r * 128, row.Length);
                Array.Fill(mask, 1L, r * 128, row.Length);
            }
            using var output = model.Forward(tensor(ids, [n, 128]), tensor(mask, [n, 128]), zeros([n, 128], dtype: ScalarType.Int64));
        }
    }
    Report(results, "tweets_pad128_sentences_per_s", encodings.Length, clock.Wall, clock.Cpu);
    results["pad128_tweets"] = o.Pad128Tweets;

    // Training: forward + backward + AdamW at 16×64, dropout on (HF defaults), with the optimizer the Trainer uses
    // (Classify.Transformers.Training.AdamW: HF's decay groups, weight decay 0.01). The CPU time of each phase is
    // recorded too, to show where a step goes.
    {
        var config = ScratchConfigs.Create("bert-base");
        using var train = AutoModelForSequenceClassification.FromConfig(config);
        train.train();
        using var optimizer = new Classify.Transformers.Training.AdamW(train, weightDecay: 0.01);
        using var ids = randint(1000, 30000, [16, 64], dtype: ScalarType.Int64);
        using var mask = ones([16, 64], dtype: ScalarType.Int64);
        using var types = zeros([16, 64], dtype: ScalarType.Int64);
        using var labels = randint(0, 2, [16], dtype: ScalarType.Int64);
        using var objective = new Classify.Transformers.Training.TrainingLoss(
            new Classify.Core.Labels.LabelSchema(Classify.Core.Labels.TaskKind.Binary, ["LABEL_0", "LABEL_1"]), weights: null);
        double forwardCpu = 0, backwardCpu = 0, stepCpu = 0;
        var (wall, cpu) = Time(o, () =>
        {
            using var scope = NewDisposeScope();
            var phase = Clock.Start();
            optimizer.ZeroGrad();
            using var output = train.Forward(ids, mask, types);
            var loss = objective.Compute(output.Logits, labels);
            forwardCpu += phase.Cpu;
            phase = Clock.Start();
            loss.backward();
            backwardCpu += phase.Cpu;
            phase = Clock.Start();
            optimizer.Step(2e-5);
            stepCpu += phase.Cpu;
        });
        int steps = o.Warmup + o.Iterations;
        results["training_cpu_s_forward"] = Math.Round(forwardCpu / steps, 3);
        results["training_cpu_s_backward"] = Math.Round(backwardCpu / steps, 3);
        results["training_cpu_s_optimizer"] = Math.Round(stepCpu / steps, 3);
        Console.WriteLine($"training step CPU seconds: forward {forwardCpu / steps:F2}, backward {backwardCpu / steps:F2}, AdamW {stepCpu / steps:F2}");
        Report(results, "training_16x64_samples_per_s", 16, wall, cpu);
    }

    File.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}

// bf16 vs fp32, one optimizer step as TrainingLoop runs it (zero grad, forward, fp32 loss, backward, clip at 1.0,
// AdamW with weight decay 0.01; with bf16 the passes run on Bf16WorkingCopy and the gradients and step are fp32 on the
// master), for fine-tuning (sequence classification, 16×64) and MLM pretraining (BertForMaskedLM, 16×128, 15% of the
// positions labelled), plus inference at 32×128. fp32 and bf16 alternate round by round, so a change of load on the
// shared machine hits both; CPU seconds are the process's user + system time. bench/torch/bert_train_bench.py is the
// PyTorch side of the training steps.
static void Precision(BenchOptions o, string[] args)
{
    string loadBefore = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    TorchRuntime.EnsureInitialized(o.Threads);
    set_num_threads(o.Threads);
    manual_seed(0);
    var config = ScratchConfigs.Create(o.Model ?? "bert-base");
    var results = new JsonObject { ["side"] = "classify", ["model"] = o.Model ?? "bert-base", ["threads"] = get_num_threads(), ["iterations"] = o.Iterations, ["warmup"] = o.Warmup };
    var rows = new List<string>();

    void Train(string name, Classify.Transformers.Models.PreTrainedModel master, Func<Classify.Transformers.Models.PreTrainedModel> create,
        Func<Classify.Transformers.Models.PreTrainedModel, Tensor> loss)
    {
        master.train();
        using var optimizer = new Classify.Transformers.Training.AdamW(master, weightDecay: 0.01);
        using var copy = new Classify.Transformers.Training.Bf16WorkingCopy(master, create());
        copy.Working.train();
        var cpu = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var wall = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int round = 0; round < o.Warmup + o.Iterations; round++)
            foreach (var bf16 in new[] { false, true })
            {
                GC.Collect();
                var clock = Clock.Start();
                using (var scope = NewDisposeScope())
                {
                    if (bf16) copy.ZeroGrad(); else optimizer.ZeroGrad();
                    var l = loss(bf16 ? copy.Working : master);
                    l.backward();
                    if (bf16) copy.GradientsToMaster();
                    nn.utils.clip_grad_norm_(optimizer.Parameters, 1.0);
                    optimizer.Step(2e-5);
                    if (bf16) copy.SyncWeights();
                }
                if (round >= o.Warmup) { cpu[bf16].Add(clock.Cpu); wall[bf16].Add(clock.Wall); }
            }
        foreach (var bf16 in new[] { false, true })
            results[$"{name}_{(bf16 ? "bf16" : "fp32")}"] = new JsonObject { ["cpu_s_per_step"] = Math.Round(cpu[bf16].Average(), 3), ["wall_s_per_step"] = Math.Round(wall[bf16].Average(), 3) };
        rows.Add($"| {name} | {cpu[false].Average():F2} | {cpu[true].Average():F2} | {cpu[false].Average() / cpu[true].Average():F2} |");
        Console.Error.WriteLine(rows[^1]);
    }

    {
        using var master = AutoModelForSequenceClassification.FromConfig(config);
        using var ids = randint(1000, 30000, [16, 64], dtype: ScalarType.Int64);
        using var mask = ones([16, 64], dtype: ScalarType.Int64);
        using var labels = randint(0, 2, [16], dtype: ScalarType.Int64);
        using var objective = new Classify.Transformers.Training.TrainingLoss(
            new Classify.Core.Labels.LabelSchema(Classify.Core.Labels.TaskKind.Binary, ["LABEL_0", "LABEL_1"]), weights: null);
        Train("finetune_16x64", master, () => AutoModelForSequenceClassification.Create(config),
            m => objective.Compute(((SequenceClassificationModel)m).Forward(ids, mask).Logits, labels));
    }
    {
        using var master = AutoModelForMaskedLM.FromConfig(config);
        using var ids = randint(1000, 30000, [16, 128], dtype: ScalarType.Int64);
        using var mask = ones([16, 128], dtype: ScalarType.Int64);
        using var generator = new Generator(1);
        using var labels = randint(1000, 30000, [16, 128], dtype: ScalarType.Int64, generator: generator);
        using var drop = rand([16, 128], generator: generator).ge(0.15);
        labels.masked_fill_(drop, MaskedLMModel.IgnoreIndex);
        Train("mlm_16x128", master, () => AutoModelForMaskedLM.Create(config),
            m => ((MaskedLMModel)m).Forward(ids, mask, null, labels).Loss!);
    }
    {
        using var master = AutoModelForSequenceClassification.FromConfig(config);
        master.eval();
        using var work = AutoModelForSequenceClassification.FromConfig(config, ScalarType.BFloat16);
        work.eval();
        using var ids = randint(1000, 30000, [32, 128], dtype: ScalarType.Int64);
        using var mask = ones([32, 128], dtype: ScalarType.Int64);
        var cpu = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int round = 0; round < o.Warmup + o.Iterations; round++)
            foreach (var bf16 in new[] { false, true })
            {
                var clock = Clock.Start();
                using (inference_mode()) using (var output = (bf16 ? work : master).Forward(ids, mask)) { }
                if (round >= o.Warmup) cpu[bf16].Add(clock.Cpu);
            }
        foreach (var bf16 in new[] { false, true })
            results[$"inference_32x128_{(bf16 ? "bf16" : "fp32")}"] = new JsonObject { ["cpu_s_per_batch"] = Math.Round(cpu[bf16].Average(), 3) };
        rows.Add($"| inference_32x128 (per batch) | {cpu[false].Average():F2} | {cpu[true].Average():F2} | {cpu[false].Average() / cpu[true].Average():F2} |");
    }
    string loadAfter = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    results["load_before"] = loadBefore;
    results["load_after"] = loadAfter;
    if (o.Positional.Count > 0) File.WriteAllText(o.Positional[0], results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"`Classify.Bench.Transformers {string.Join(' ', args)}`, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, " +
                      $"{get_num_threads()} threads, load average {loadBefore} before, {loadAfter} after; mean CPU seconds per step of {o.Iterations} after {o.Warmup} warm-up.");
    Console.WriteLine();
    Console.WriteLine("| step | fp32 CPU s | bf16 CPU s | fp32 / bf16 |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var row in rows) Console.WriteLine(row);
}

static void ForwardProfile(BenchOptions o)
{
    TorchRuntime.EnsureInitialized(o.Threads);
    set_num_threads(o.Threads);
    manual_seed(0);
    var config = ScratchConfigs.Create(o.Model ?? "bert-base");
    using var m32 = AutoModelForSequenceClassification.FromConfig(config);
    using var m16 = AutoModelForSequenceClassification.FromConfig(config, ScalarType.BFloat16);
    using var ids = randint(1000, 30000, [16, 64], dtype: ScalarType.Int64);
    using var mask = ones([16, 64], dtype: ScalarType.Int64);
    foreach (var (name, model) in new[] { ("fp32", m32), ("bf16", m16) })
        foreach (var mode in new[] { "eval+no_grad", "eval+grad", "train+no_grad", "train+grad", "train+grad+backward" })
        {
            if (mode.StartsWith("train")) model.train(); else model.eval();
            var (wall, cpu) = Time(o, () =>
            {
                using var scope = NewDisposeScope();
                using var g = mode.Contains("no_grad") ? no_grad() : enable_grad();
                var output = model.Forward(ids, mask);
                if (mode.EndsWith("backward")) output.Logits.sum().backward();
            });
            Console.WriteLine($"{name} {mode,-22} {cpu:F2} CPU s ({wall:F2} wall)");
        }
    using var x32 = randn(1024, 768);
    using var x16 = randn(1024, 768).to(ScalarType.BFloat16);
    using var a32 = randn(16, 12, 64, 64);
    foreach (var (name, x) in new[] { ("dropout hidden fp32", x32), ("dropout hidden bf16", x16), ("dropout probs fp32", a32) })
    {
        var (wall, cpu) = Time(o, () => { for (int i = 0; i < 25; i++) nn.functional.dropout(x, 0.1, true).Dispose(); });
        Console.WriteLine($"{name}: {cpu / 25 * 1000:F2} ms CPU per call");
    }
}

static void PretrainCurve(BenchOptions o)
{
    TorchRuntime.EnsureInitialized(o.Threads);
    var root = BenchSupport.FindRepoRoot();
    var output = o.Positional.Count > 0 ? o.Positional[0] : throw new ArgumentException("pretrain-curve needs an output folder");
    var corpus = Path.Combine(Path.GetTempPath(), $"classify-bench-tweets-{o.Rows}.txt");
    File.WriteAllLines(corpus, BenchSupport.ReadTextColumn(Path.Combine(root, "..", "shared", "data", "tweet-sentiment-extraction", "train.csv"))
        .Where(t => !string.IsNullOrWhiteSpace(t)).Take(o.Rows));
    var section = new JsonObject
    {
        ["model"] = $"scratch:{o.Model ?? "bert-mini"}", ["learning_rate"] = 5e-4, ["per_device_train_batch_size"] = 16, ["max_steps"] = o.Steps ?? 500,
        ["max_length"] = 32, ["line_by_line"] = true, ["validation_fraction"] = 0.02, ["eval_strategy"] = "steps", ["eval_steps"] = 100,
        ["logging_steps"] = 10, ["save_strategy"] = "no", ["warmup_ratio"] = 0.06, ["weight_decay"] = 0.01, ["seed"] = o.Seed,
        ["bf16"] = o.Dtype == "bf16",
    };
    var args = Classify.Transformers.Pretraining.PretrainingArguments.Read(new Classify.Core.Configuration.ConfigReader(
        new JsonObject { ["data"] = new JsonObject { ["path"] = corpus }, ["pretrain"] = section }));
    var clock = Clock.Start();
    var result = new Classify.Transformers.Pretraining.MlmPretrainer { Threads = o.Threads, Log = Console.Error.WriteLine, ScratchCacheRoot = Path.Combine(Path.GetTempPath(), "classify-bench-scratch") }
        .Run(args, output, resume: false, CancellationToken.None);
    Console.WriteLine($"{o.Dtype} seed {o.Seed}: {o.Steps ?? 500} steps, {clock.Cpu:F0} CPU s ({clock.Wall:F0} wall), eval_loss {result.Metrics["eval_loss"]}");
}

// x @ w at BERT-base's projection and FFN shapes for 32×128 (4096 tokens), the products that dominate its time.
// CPU time is the whole process's user + system time (all threads), so the figure survives a shared machine.
static void Gemm(BenchOptions o)
{
    TorchRuntime.EnsureInitialized(o.Threads);
    set_num_threads(o.Threads);
    int iterations = o.IterationsGiven ? o.Iterations : 20;
    manual_seed(0);
    Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, {get_num_threads()} threads");
    foreach (var (m, k, n) in new[] { (4096, 768, 768), (4096, 768, 3072), (4096, 3072, 768) })
    {
        var dtype = o.Dtype == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using var x = randn(m, k).to(dtype);
        using var w = randn(k, n).to(dtype);
        for (int i = 0; i < 3; i++) matmul(x, w).Dispose();
        var clock = Clock.Start();
        for (int i = 0; i < iterations; i++) matmul(x, w).Dispose();
        double wall = clock.Wall, cpuSeconds = clock.Cpu;
        double flops = 2.0 * m * k * n * iterations;
        Console.WriteLine($"gemm {m}x{k}x{n}: wall {flops / wall / 1e9,7:F1} GFLOP/s, cpu {flops / cpuSeconds / 1e9,7:F1} GFLOP/s per CPU-second (cpu/wall {cpuSeconds / wall:F2})");

        // The same product as nn.Linear runs it: x · Wᵀ + b with W stored [out, in].
        using var weight = randn(n, k).to(dtype);
        using var bias = randn(n).to(dtype);
        for (int i = 0; i < 3; i++) nn.functional.linear(x, weight, bias).Dispose();
        clock = Clock.Start();
        for (int i = 0; i < iterations; i++) nn.functional.linear(x, weight, bias).Dispose();
        wall = clock.Wall; cpuSeconds = clock.Cpu;
        Console.WriteLine($"linear {m}x{k}x{n}: wall {flops / wall / 1e9,7:F1} GFLOP/s, cpu {flops / cpuSeconds / 1e9,7:F1} GFLOP/s per CPU-second (cpu/wall {cpuSeconds / wall:F2})");
    }

    // Attention at 32×128 (12 heads of 64) with an additive padding bias, as BERT runs it: libtorch's fused
    // scaled_dot_product_attention vs the eager matmul-softmax-matmul that torch 1.13 runs.
    using var q = randn(32, 12, 128, 64);
    using var kk = randn(32, 12, 128, 64);
    using var v = randn(32, 12, 128, 64);
    using var padding = zeros(32, 1, 1, 128);
    var variants = new (string Name, Func<Tensor> Run)[]
    {
        ("sdpa", () => nn.functional.scaled_dot_product_attention(q, kk, v, padding)),
        ("eager", () => softmax(matmul(q, kk.transpose(-1, -2)) / 8.0 + padding, -1).matmul(v)),
    };
    // The element-wise and normalisation ops between the products, at 32×128 tokens.
    using var up = randn(4096, 3072);
    using var hidden = randn(4096, 768);
    using var gamma = ones(768);
    using var beta = zeros(768);
    variants =
    [
        .. variants,
        ("gelu", () => nn.functional.gelu(up)),
        ("layer_norm", () => nn.functional.layer_norm(hidden, [768], gamma, beta, 1e-12)),
    ];
    foreach (var (name, run) in variants)
    {
        for (int i = 0; i < 3; i++) { using var scope = NewDisposeScope(); run(); }
        var clock = Clock.Start();
        for (int i = 0; i < iterations; i++) { using var scope = NewDisposeScope(); run(); }
        Console.WriteLine($"{name} (32x128 tokens): wall {clock.Wall / iterations * 1e3,7:F1} ms, cpu {clock.Cpu / iterations * 1e3,7:F1} ms per call");
    }
}

// MC dropout's cost: N dropout passes through PredictPasses (rows × passes fused into forwards of --mc-batch-size
// rows, and once more with forwards of --batch-size rows, the deterministic path's size) against N deterministic
// passes (PredictScores, batches of --batch-size, and for reference batches of --mc-batch-size) of the same tweets,
// on a scratch model with a random head. The four are timed in turn within each iteration, so a change of load on the shared machine hits all of them; the
// median iteration is reported, wall and process CPU time.
static void McDropout(BenchOptions o, string[] args)
{
    string model = o.Model ?? "bert-mini";
    int passes = o.Passes, rows = o.Rows, batch = o.BatchSize, mcBatch = o.McBatchSize ?? o.BatchSize * o.Passes;
    int warmup = o.WarmupGiven ? o.Warmup : 1;
    string loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[..3] is var l ? string.Join(" ", l) : "";
    TorchRuntime.EnsureInitialized(o.Threads);
    set_num_threads(o.Threads);
    var folder = ScratchClassifiers.Create(model, Path.Combine(Path.GetTempPath(), "classify-bench-scratch"));
    using var predictor = TransformerPredictor.Load(folder, options: new TransformerPredictorOptions { BatchSize = batch, MaxLength = 128, Threads = o.Threads });
    using var large = TransformerPredictor.Load(folder, options: new TransformerPredictorOptions { BatchSize = mcBatch, MaxLength = 128, Threads = o.Threads });
    var root = BenchSupport.FindRepoRoot();
    var texts = BenchSupport.ReadTextColumn(Path.Combine(root, "..", "shared", "data", "tweet-sentiment-extraction", "train.csv"))
        .Take(rows).Select(t => new TextInput(t)).ToArray();
    var copies = Enumerable.Range(0, passes).SelectMany(_ => texts).ToArray();
    var tokens = texts.Average(t => predictor.Tokenizer.Encode(t.Text, null,
        new EncodeOptions { MaxLength = predictor.MaxLength, Truncation = TruncationStrategy.LongestFirst }).InputIds.Length);

    var sides = new (string Name, Action Run)[]
    {
        ($"{passes} deterministic passes (batches of {batch})", () => { for (int k = 0; k < passes; k++) predictor.PredictScores(texts); }),
        ($"{passes} dropout passes fused, --mc-batch-size {mcBatch}", () => predictor.PredictPasses(texts, passes, seed: 1, mcBatch)),
        ($"{passes} dropout passes fused, --mc-batch-size {batch}", () => predictor.PredictPasses(texts, passes, seed: 1, batch)),
        // Reference for the forward size alone: one deterministic pass over N copies of every tweet in batches of
        // --mc-batch-size (the length sort keeps copies together, so each forward is padded as the fused one is).
        ($"deterministic, {passes} copies of each row in batches of {mcBatch}", () => large.PredictScores(copies)),
    };
    for (int i = 0; i < warmup; i++) foreach (var side in sides) side.Run();
    var times = sides.Select(_ => new List<(double Wall, double Cpu)>()).ToArray();
    for (int i = 0; i < o.Iterations; i++)
        for (int s = 0; s < sides.Length; s++)
        {
            GC.Collect();
            var clock = Clock.Start();
            sides[s].Run();
            times[s].Add((clock.Wall, clock.Cpu));
        }
    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
    var wall = times.Select(t => Median(t.Select(x => x.Wall))).ToArray();
    var cpu = times.Select(t => Median(t.Select(x => x.Cpu))).ToArray();
    string loadAfter = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    var cpuName = File.ReadLines("/proc/cpuinfo").FirstOrDefault(x => x.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?";

    Console.WriteLine($"## MC dropout: {passes} fused passes vs {passes} deterministic passes ({DateTime.UtcNow:yyyy-MM-dd})");
    Console.WriteLine();
    Console.WriteLine($"`dotnet run -c Release --project bench/Classify.Bench.Transformers -- mc-dropout {string.Join(' ', args.Skip(1))}`");
    Console.WriteLine($"on {Environment.ProcessorCount} cores ({cpuName}), {get_num_threads()} torch threads, TorchSharp " +
                      $"{typeof(TorchSharp.torch).Assembly.GetName().Version}; load average {loadBefore} before, {loadAfter} after. Model " +
                      $"scratch:{model} with a random head (dropout 0.1), the first {texts.Length} tweets ({tokens:F1} tokens on average), " +
                      $"median of {o.Iterations} iterations after {warmup} warm-up.");
    Console.WriteLine();
    Console.WriteLine("| run | wall s | CPU s | wall / deterministic | CPU / deterministic |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    for (int s = 0; s < sides.Length; s++)
        Console.WriteLine($"| {sides[s].Name} | {wall[s]:F3} | {cpu[s]:F3} | {wall[s] / wall[0]:F2} | {cpu[s] / cpu[0]:F2} |");
}

static PreTrainedTokenizer BertBaseTokenizer()
{
    var dir = Path.Combine(Path.GetTempPath(), "classify-bench-tokenizer", "bert-base-uncased");
    BundledTokenizers.WriteTo("bert-base-uncased", dir);
    return AutoTokenizer.FromPretrained(dir);
}

// Mean wall and process CPU seconds per iteration after the warm-up runs.
static (double Wall, double Cpu) Time(BenchOptions o, Action action)
{
    for (int i = 0; i < o.Warmup; i++) action();
    GC.Collect();
    var clock = Clock.Start();
    for (int i = 0; i < o.Iterations; i++) action();
    return (clock.Wall / o.Iterations, clock.Cpu / o.Iterations);
}

// Records items per wall second under `key` and items per CPU second (user + system, all threads) under the same
// key with `_per_s` -> `_per_cpu_s`: on a shared machine the wall figure depends on the load, the CPU one much less.
static void Report(JsonObject results, string key, double items, double wallSeconds, double cpuSeconds)
{
    results[key] = Math.Round(items / wallSeconds, 2);
    results[key.Replace("_per_s", "_per_cpu_s")] = Math.Round(items / cpuSeconds, 2);
    Console.WriteLine($"{key,-40} {items / wallSeconds,10:F2}  per CPU-second {items / cpuSeconds,10:F2}  (cpu/wall {cpuSeconds / wallSeconds:F2})");
}

static BenchOptions ParseOptions(string[] args)
{
    var o = new BenchOptions();
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--threads": o.Threads = int.Parse(args[++i]); break;
            case "--iterations": o.Iterations = int.Parse(args[++i]); o.IterationsGiven = true; break;
            case "--warmup": o.Warmup = int.Parse(args[++i]); o.WarmupGiven = true; break;
            case "--model": o.Model = args[++i]; break;
            case "--passes": o.Passes = int.Parse(args[++i]); break;
            case "--rows": o.Rows = int.Parse(args[++i]); break;
            case "--batch-size": o.BatchSize = int.Parse(args[++i]); break;
            case "--mc-batch-size": o.McBatchSize = int.Parse(args[++i]); break;
            case "--count": o.Count = int.Parse(args[++i]); break;
            case "--pad128-tweets": o.Pad128Tweets = int.Parse(args[++i]); break;
            case "--lengths": o.Lengths = args[++i].Split(',').Select(int.Parse).ToArray(); break;
            case "--length": o.Lengths = [int.Parse(args[++i])]; break;
            case "--accumulation": o.Accumulation = int.Parse(args[++i]); break;
            case "--phase": o.Phase = args[++i]; break;
            case "--attention": o.Attention = args[++i]; break;
            case "--train-rows": o.TrainRows = int.Parse(args[++i]); break;
            case "--dtype": o.Dtype = args[++i]; break;
            case "--seed": o.Seed = int.Parse(args[++i]); break;
            case "--steps": o.Steps = int.Parse(args[++i]); break;
            default: o.Positional.Add(args[i]); break;
        }
    }
    return o;
}

sealed class BenchOptions
{
    public int Threads { get; set; } = 2;
    public int Iterations { get; set; } = 5;
    public bool IterationsGiven { get; set; }
    public int Warmup { get; set; } = 2;
    public int Count { get; set; } = 2048;
    public int Pad128Tweets { get; set; } = 128;
    public bool WarmupGiven { get; set; }
    public string? Model { get; set; }
    public int Passes { get; set; } = 10;
    public int Rows { get; set; } = 256;
    public int BatchSize { get; set; } = 32;
    public int? McBatchSize { get; set; }
    public int[] Lengths { get; set; } = [512, 1024, 3000];
    public int Accumulation { get; set; } = 2;
    public string Phase { get; set; } = "";
    public string Attention { get; set; } = "banded";
    public int? Steps { get; set; }
    public string Dtype { get; set; } = "fp32";
    public int Seed { get; set; } = 1;
    public int TrainRows { get; set; } = 1;
    public List<string> Positional { get; } = [];
}
