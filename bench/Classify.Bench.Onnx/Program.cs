// ONNX Runtime vs the TorchSharp engine at BERT-base shapes, Classify side. Run through bench/run-onnx-bench.sh, which
// runs the PyTorch side (bench/torch/bert_int8_bench.py: fp32 and torch.quantization.quantize_dynamic) and writes the
// comparison (bench/torch/onnx_report.py).
//
//   run <results.json> [--threads 2] [--iterations 5] [--warmup 2] [--shapes 32x128,32x32] [--row-at-a-time]
//
// Model: a randomly initialised BERT-base classifier (scratch:bert-base — 12 layers, hidden 768, 12 heads, vocab
// 30522, 2 labels, seed 0), saved as a Hugging Face folder and exported by Classify's exporter to model.onnx fp32
// and int8 (--quantize int8: DynamicQuantizer). Sides, at each shape, random token ids in [1000, 30000), full mask:
//   ort_fp32   the fp32 graph in a raw InferenceSession (ORT_ENABLE_ALL, sequential, --threads intra-op threads)
//   ort_int8   the int8 graph, same session options, the whole batch in one run (as PyTorch's dynamic int8 runs it)
//   ort_int8_rows (--row-at-a-time) the int8 graph one row per run, as the onnx engine runs quantized graphs
//   torchsharp the TorchSharp engine's model (TransformerPredictor.Model.Forward, inference_mode, --threads threads)
// Within an iteration the sides run one after the other, so a change of load on the shared machine hits all of them;
// reported: the median iteration's sentences per wall second and per process CPU second (user + system, all threads).
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.HuggingFace.Configuration;
using Classify.Onnx.Export;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

if (args.Length < 2 || args[0] != "run")
{
    Console.Error.WriteLine("usage: run <results.json> [--threads 2] [--iterations 5] [--warmup 2] [--shapes 32x128,32x32] [--row-at-a-time]");
    return 2;
}
int threads = 2, iterations = 5, warmup = 2;
bool rowAtATime = false;
var shapes = new List<(int Batch, int Seq)> { (32, 128), (32, 32) };
for (int i = 2; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--iterations": iterations = int.Parse(args[++i]); break;
        case "--warmup": warmup = int.Parse(args[++i]); break;
        case "--row-at-a-time": rowAtATime = true; break;
        case "--shapes":
            shapes = args[++i].Split(',').Select(s => s.Split('x')).Select(p => (int.Parse(p[0]), int.Parse(p[1]))).ToList();
            break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

TorchRuntime.EnsureInitialized(threads);
set_num_threads(threads);
var cache = Path.Combine(Path.GetTempPath(), "classify-bench-onnx");
var folder = ScratchClassifiers.Create("bert-base", cache);
var fp32Dir = Export(folder, Path.Combine(cache, "bert-base-fp32"), OnnxQuantization.None);
var int8Dir = Export(folder, Path.Combine(cache, "bert-base-int8"), OnnxQuantization.Int8);
long fp32Bytes = new FileInfo(Path.Combine(fp32Dir, OnnxExporter.ModelFileName)).Length;
long int8Bytes = new FileInfo(Path.Combine(int8Dir, OnnxExporter.ModelFileName)).Length;

var results = new JsonObject
{
    ["side"] = "classify",
    ["onnxruntime"] = typeof(InferenceSession).Assembly.GetName().Version?.ToString(),
    ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
    ["libtorch_threads"] = get_num_threads(),
    ["ort_intra_op_threads"] = threads,
    ["iterations"] = iterations,
    ["warmup"] = warmup,
    ["dotnet"] = Environment.Version.ToString(),
    ["model_onnx_bytes_fp32"] = fp32Bytes,
    ["model_onnx_bytes_int8"] = int8Bytes,
};

using var fp32 = Session(Path.Combine(fp32Dir, OnnxExporter.ModelFileName), threads, Path.Combine(cache, "optimised-fp32.onnx"));
using var int8 = Session(Path.Combine(int8Dir, OnnxExporter.ModelFileName), threads, Path.Combine(cache, "optimised-int8.onnx"));
results["ort_optimised_fp32"] = Path.Combine(cache, "optimised-fp32.onnx");   // op counts: bench/torch/onnx_report.py
results["ort_optimised_int8"] = Path.Combine(cache, "optimised-int8.onnx");
using var predictor = TransformerPredictor.Load(folder, options: new TransformerPredictorOptions { BatchSize = 32, MaxLength = 128, Threads = threads });
var model = predictor.Model;

foreach (var (batch, seq) in shapes)
{
    manual_seed(batch * 1000 + seq);
    using var idsTensor = randint(1000, 30000, [batch, seq], dtype: ScalarType.Int64);
    using var maskTensor = ones([batch, seq], dtype: ScalarType.Int64);
    using var typesTensor = zeros([batch, seq], dtype: ScalarType.Int64);
    var ids = idsTensor.data<long>().ToArray();
    var mask = new long[ids.Length];
    Array.Fill(mask, 1L);
    var types = new long[ids.Length];

    float[] torchLogits = [];
    float[] ortLogits = [];
    var sides = new List<(string Name, Action Run)>
    {
        ("ort_fp32", () => ortLogits = RunOrt(fp32, ids, mask, types, batch, seq)),
        ("ort_int8", () => RunOrt(int8, ids, mask, types, batch, seq)),
        ("torchsharp", () =>
        {
            using var _ = inference_mode();
            using var output = model.Forward(idsTensor, maskTensor, typesTensor);
            torchLogits = output.Logits.data<float>().ToArray();
        }),
    };
    if (rowAtATime)
        sides.Insert(2, ("ort_int8_rows", () =>
        {
            for (int r = 0; r < batch; r++)
                RunOrt(int8, ids[(r * seq)..((r + 1) * seq)], mask[(r * seq)..((r + 1) * seq)], types[(r * seq)..((r + 1) * seq)], 1, seq);
        }));

    for (int w = 0; w < warmup; w++) foreach (var side in sides) side.Run();
    var times = sides.ToDictionary(s => s.Name, _ => new List<(double Wall, double Cpu)>());
    for (int it = 0; it < iterations; it++)
        foreach (var (name, run) in sides)
        {
            GC.Collect();
            var clock = Clock.Start();
            run();
            times[name].Add((clock.Wall, clock.Cpu));
        }
    foreach (var (name, _) in sides)
    {
        double wall = Median(times[name].Select(t => t.Wall)), cpu = Median(times[name].Select(t => t.Cpu));
        string key = $"{name}_{batch}x{seq}";
        results[key + "_sentences_per_s"] = Math.Round(batch / wall, 2);
        results[key + "_sentences_per_cpu_s"] = Math.Round(batch / cpu, 2);
        results[key + "_wall_s"] = Math.Round(wall, 4);
        results[key + "_cpu_s"] = Math.Round(cpu, 4);
        Console.WriteLine($"{key,-24} {batch / wall,9:F2} sentences/s  {batch / cpu,9:F2} per CPU-second  (median of {iterations}: wall {wall:F3} s, cpu {cpu:F3} s)");
    }
    double maxDiff = torchLogits.Zip(ortLogits, (a, b) => Math.Abs(a - b)).Max();
    results[$"fp32_max_abs_logit_diff_{batch}x{seq}"] = maxDiff;
    Console.WriteLine($"ORT fp32 vs TorchSharp logits at {batch}x{seq}: max |diff| {maxDiff:E1}");
}

File.WriteAllText(args[1], results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// The session as the onnx engine opens it (OnnxPredictor.Load): all graph optimisations, sequential execution,
// `threads` intra-op threads (ORT's default spinning policy). The optimised graph is written out (its ops are counted by the report).
static InferenceSession Session(string path, int threads, string optimisedPath)
{
    using var options = new SessionOptions
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        OptimizedModelFilePath = optimisedPath,
    };
    return new InferenceSession(path, options);
}

static float[] RunOrt(InferenceSession session, long[] ids, long[] mask, long[] types, int batch, int seq)
{
    long[] shape = [batch, seq];
    using var a = OrtValue.CreateTensorValueFromMemory(ids, shape);
    using var b = OrtValue.CreateTensorValueFromMemory(mask, shape);
    using var c = OrtValue.CreateTensorValueFromMemory(types, shape);
    using var runOptions = new RunOptions();
    using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [a, b, c], ["logits"]);
    return outputs[0].GetTensorDataAsSpan<float>().ToArray();
}

static string Export(string source, string target, OnnxQuantization quantization)
{
    if (File.Exists(Path.Combine(target, OnnxExporter.ModelFileName))) return target;
    if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
    var result = OnnxExporter.Export(source, target, new OnnxExportOptions { Quantization = quantization });
    Console.WriteLine($"exported {quantization}: {result.ModelBytes / 1e6:F1} MB, {result.NodeCount} nodes -> {target}");
    return target;
}
