// long-inputs: scratch ModernBERT at long sequence lengths (docs/benchmarks.md, "Long inputs (ModernBERT)").
// The parent runs one child process per (length, phase) so each peak RSS (VmHWM) is that phase's alone, and prints
// a Markdown table. Inputs are random token ids, every position real (no padding): the worst case for a length.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.Labels;
using Classify.HuggingFace.Configuration;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using Classify.Transformers.Training;
using static TorchSharp.torch;

static class LongInputs
{
    public static void Run(BenchOptions o, string[] args)
    {
        string model = o.Model ?? "modernbert-mini";
        string loadBefore = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        var started = DateTime.UtcNow;
        var rows = new List<(int Length, JsonObject Infer, JsonObject Train)>();
        foreach (var length in o.Lengths)
        {
            var infer = Spawn(o, model, length, "infer");
            var train = Spawn(o, model, length, "train");
            rows.Add((length, infer, train));
        }
        string loadAfter = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        var cpuName = File.ReadLines("/proc/cpuinfo").FirstOrDefault(x => x.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?";
        var config = (ModernBertConfig)ScratchConfigs.Create(model);
        Console.WriteLine($"### scratch:{model}, attention {o.Attention} ({started:yyyy-MM-dd HH:mm}–{DateTime.UtcNow:HH:mm} UTC)");
        Console.WriteLine();
        Console.WriteLine($"`dotnet run -c Release --project bench/Classify.Bench.Transformers -- long-inputs {string.Join(' ', args.Skip(1))}`");
        Console.WriteLine($"on {Environment.ProcessorCount} cores ({cpuName}), {o.Threads} torch threads; load average {loadBefore} before, {loadAfter} after. " +
                          $"{config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, local window {config.LocalAttention}, " +
                          $"global every {config.GlobalAttnEveryNLayers}; fp32, random ids, no padding; mean of {o.Iterations} after {o.Warmup} warm-up. " +
                          $"Training: {o.Accumulation} micro-batch(es) of {o.TrainRows} row(s), forward + backward, then AdamW; peak RSS is the child's VmHWM " +
                          "(model, optimizer state and activations).");
        Console.WriteLine();
        Console.WriteLine($"| tokens | infer b=1 wall s/ex | CPU s/ex | infer b={o.BatchSize} wall s/ex | CPU s/ex | infer peak RSS MB | train wall s/ex | CPU s/ex | train peak RSS MB | RSS after each step MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (length, infer, train) in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {length} | {D(infer, "wall1")} | {D(infer, "cpu1")} | {D(infer, "wallb")} | {D(infer, "cpub")} | {D(infer, "hwm_mb", "F0")} | " +
                $"{D(train, "wall")} | {D(train, "cpu")} | {D(train, "hwm_mb", "F0")} | {train["rss_steps"]?.ToString() ?? "-"} |"));
    }

    private static string D(JsonObject o, string key, string format = "F3") =>
        o[key] is JsonNode n ? n.GetValue<double>().ToString(format, CultureInfo.InvariantCulture) : "-";

    private static JsonObject Spawn(BenchOptions o, string model, int length, string phase)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        foreach (var a in new[] { "long-inputs-child", "--model", model, "--length", length.ToString(CultureInfo.InvariantCulture), "--phase", phase,
                     "--batch-size", o.BatchSize.ToString(CultureInfo.InvariantCulture), "--accumulation", o.Accumulation.ToString(CultureInfo.InvariantCulture),
                     "--train-rows", o.TrainRows.ToString(CultureInfo.InvariantCulture), "--iterations", o.Iterations.ToString(CultureInfo.InvariantCulture),
                     "--warmup", o.Warmup.ToString(CultureInfo.InvariantCulture), "--threads", o.Threads.ToString(CultureInfo.InvariantCulture), "--attention", o.Attention })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        Console.Error.WriteLine($"{model} {length} {phase}: exit {child.ExitCode} {last}");
        return last is null ? new JsonObject() : JsonNode.Parse(last)!.AsObject();
    }

    public static void Child(BenchOptions o)
    {
        TorchRuntime.EnsureInitialized(o.Threads);
        set_num_threads(o.Threads);
        ModernBertModel.BandedLocalAttention = o.Attention != "full";
        int length = o.Lengths[0];
        manual_seed(0);
        var config = ScratchConfigs.Create(o.Model ?? "modernbert-mini");
        using var model = AutoModelForSequenceClassification.FromConfig(config);
        var result = new JsonObject { ["length"] = length, ["phase"] = o.Phase };
        if (o.Phase == "infer")
        {
            model.eval();
            foreach (var (batch, suffix) in new[] { (1, "1"), (o.BatchSize, "b") })
            {
                using var ids = randint(1000, 30000, [batch, length], dtype: ScalarType.Int64);
                using var mask = ones([batch, length], dtype: ScalarType.Int64);
                var (wall, cpu) = Time(o.Warmup, o.Iterations, () =>
                {
                    using var _ = inference_mode();
                    using var output = model.Forward(ids, mask);
                });
                result["wall" + suffix] = wall / batch;
                result["cpu" + suffix] = cpu / batch;
            }
        }
        else
        {
            model.train();
            using var optimizer = new AdamW(model, weightDecay: 0.01);
            using var objective = new TrainingLoss(new LabelSchema(TaskKind.Binary, ["LABEL_0", "LABEL_1"]), weights: null);
            var micro = Enumerable.Range(0, o.Accumulation).Select(_ => (
                Ids: randint(1000, 30000, [o.TrainRows, length], dtype: ScalarType.Int64),
                Mask: ones([o.TrainRows, length], dtype: ScalarType.Int64),
                Labels: randint(0, 2, [o.TrainRows], dtype: ScalarType.Int64))).ToArray();
            var rss = new JsonArray();
            var (wall, cpu) = Time(o.Warmup, o.Iterations, () =>
            {
                optimizer.ZeroGrad();
                foreach (var (ids, mask, labels) in micro)
                {
                    using var scope = NewDisposeScope();
                    using var output = model.Forward(ids, mask);
                    var loss = objective.Compute(output.Logits, labels) * (1.0 / micro.Length);
                    loss.backward();
                }
                optimizer.Step(2e-5);
                rss.Add(Math.Round(Status("VmRSS") / 1024.0));
            });
            int examples = o.Accumulation * o.TrainRows;
            result["wall"] = wall / examples;
            result["cpu"] = cpu / examples;
            result["rss_steps"] = string.Join(", ", rss.Select(x => x!.ToString()));
        }
        result["hwm_mb"] = Status("VmHWM") / 1024.0;
        Console.WriteLine(result.ToJsonString());
    }

    // The length mix of the behavioural-coding workflow (AnnoMI, "speaker: utterance" plus the three previous turns,
    // ModernBERT's tokenizer, max_length 3000): tokens the training batches pad to vs real tokens, i.e. the most that
    // unpadding or sequence packing could save, with and without group_by_length.
    public static void PaddingWaste(BenchOptions o)
    {
        var root = BenchSupport.FindRepoRoot();
        var table = Classify.Core.Data.CsvTable.Read(Path.Combine(root, "..", "shared", "data", "annomi", "AnnoMI-simple.csv"));
        int transcript = table.Header.IndexOf("transcript_id"), order = table.Header.IndexOf("utterance_id"),
            speaker = table.Header.IndexOf("interlocutor"), text = table.Header.IndexOf("utterance_text");
        var folder = Classify.Transformers.Engine.ScratchModels.Create("scratch:modernbert-tiny", Path.Combine(Path.GetTempPath(), "classify-bench-scratch"), seed: 0);
        var tokenizer = Classify.HuggingFace.Tokenization.AutoTokenizer.FromPretrained(folder);
        var encoder = new Classify.HuggingFace.Inference.ContextEncoder(tokenizer, 3000, new Classify.Core.Prediction.ContextOptions { Turns = 3 });
        var lengths = new List<int>();
        foreach (var group in table.Rows.GroupBy(r => r[transcript]))
        {
            var turns = group.OrderBy(r => int.Parse(r[order]!, CultureInfo.InvariantCulture)).Select(r => $"{r[speaker]}: {r[text]}").ToList();
            for (int i = 0; i < turns.Count; i++)
                lengths.Add(encoder.Encode(turns[i], turns.Skip(Math.Max(0, i - 3)).Take(Math.Min(3, i)).ToList()).Length);
        }
        var sorted = lengths.Order().ToArray();
        Console.WriteLine($"{lengths.Count} utterances; tokens mean {lengths.Average():F1}, median {sorted[sorted.Length / 2]}, " +
                          $"p90 {sorted[sorted.Length * 9 / 10]}, max {sorted[^1]}");
        foreach (var group in new[] { false, true })
        {
            var sampler = new BatchSampler(lengths, o.BatchSize, group, seed: 42);
            long real = 0, padded = 0;
            for (int epoch = 0; epoch < 3; epoch++)
                foreach (var batch in sampler.Batches(epoch))
                {
                    real += batch.Sum(i => (long)lengths[i]);
                    padded += (long)batch.Length * batch.Max(i => lengths[i]);
                }
            Console.WriteLine($"batch {o.BatchSize}, group_by_length {group.ToString().ToLowerInvariant()}: padded tokens / real tokens {(double)padded / real:F3} " +
                              $"(padding {(1 - (double)real / padded) * 100:F1}% of the computed positions)");
        }
    }

    // One local layer's attention at ModernBERT-base's shapes (12 heads of 64, window 128), batch 1: the full
    // seq × seq mask through scaled_dot_product_attention vs SlidingWindowAttention, forward alone and forward +
    // backward. The two are timed alternately, so a change of load hits both; medians of --iterations.
    public static void WindowAttention(BenchOptions o)
    {
        TorchRuntime.EnsureInitialized(o.Threads);
        set_num_threads(o.Threads);
        string loadBefore = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        const int heads = 12, dim = 64, half = 64;
        Console.WriteLine("| tokens | pass | full mask CPU ms | blocked CPU ms | blocked / full (CPU) | full wall ms | blocked wall ms |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var length in o.Lengths)
        {
            manual_seed(0);
            using var mask = ones([1, length], dtype: ScalarType.Int64);
            foreach (var backward in new[] { false, true })
            {
                Action full = () =>
                {
                    using var scope = NewDisposeScope();
                    var (q, k, v) = Inputs(backward);
                    var padding = (1.0 - mask.to_type(ScalarType.Float32).unsqueeze(1).unsqueeze(2)) * finfo(ScalarType.Float32).min;
                    var positions = arange(length, dtype: ScalarType.Int64);
                    var outside = (positions.unsqueeze(0) - positions.unsqueeze(1)).abs().gt(half);
                    var bias = padding.expand(-1, -1, length, -1).masked_fill(outside, finfo(ScalarType.Float32).min);
                    var y = nn.functional.scaled_dot_product_attention(q, k, v, bias);
                    if (backward) y.sum().backward();
                };
                Action blocked = () =>
                {
                    using var scope = NewDisposeScope();
                    var (q, k, v) = Inputs(backward);
                    var y = SlidingWindowAttention.For(mask, half, ScalarType.Float32)!.Attention(q, k, v);
                    if (backward) y.sum().backward();
                };
                full(); blocked();
                var times = new List<(double Wall, double Cpu)>[] { [], [] };
                for (int i = 0; i < o.Iterations; i++)
                    foreach (var (action, side) in new[] { (full, 0), (blocked, 1) })
                    {
                        var clock = Clock.Start();
                        action();
                        times[side].Add((clock.Wall, clock.Cpu));
                    }
                double Median(IEnumerable<double> x) { var a = x.Order().ToArray(); return a[a.Length / 2]; }
                double fc = Median(times[0].Select(t => t.Cpu)) * 1e3, bc = Median(times[1].Select(t => t.Cpu)) * 1e3;
                double fw = Median(times[0].Select(t => t.Wall)) * 1e3, bw = Median(times[1].Select(t => t.Wall)) * 1e3;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {length} | {(backward ? "forward + backward" : "forward")} | {fc:F1} | {bc:F1} | {bc / fc:F2} | {fw:F1} | {bw:F1} |"));
            }

            (Tensor Q, Tensor K, Tensor V) Inputs(bool grad) =>
                (randn([1, heads, length, dim]).requires_grad_(grad), randn([1, heads, length, dim]).requires_grad_(grad), randn([1, heads, length, dim]).requires_grad_(grad));
        }
        Console.WriteLine($"load average {loadBefore} before, {string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3])} after; medians of {o.Iterations}");
    }

    private static (double Wall, double Cpu) Time(int warmup, int iterations, Action action)
    {
        for (int i = 0; i < warmup; i++) action();
        var clock = Clock.Start();
        for (int i = 0; i < iterations; i++) action();
        return (clock.Wall / iterations, clock.Cpu / iterations);
    }

    // A /proc/self/status field in kB.
    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":")).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
