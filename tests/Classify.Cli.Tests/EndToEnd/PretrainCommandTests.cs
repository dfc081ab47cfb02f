using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;
using Classify.HuggingFace.SafeTensors;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>classify pretrain</c>: examples/pretrain-smoke.yaml runs with capped steps and <c>classify train</c> fine-tunes from
/// its output (<c>transformer.model: &lt;output&gt;</c>); bad input exits 2 naming the key and writes nothing.
/// </summary>
public sealed class PretrainCommandTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static string Example(string name) => Path.Combine(TestPaths.RepoRoot, "examples", name);

    [Fact]
    public void The_smoke_example_pretrains_and_train_fine_tunes_from_its_output()
    {
        var output = _ws.PathOf("mlm");
        CliRunner.Ok("pretrain", "--config", Example("pretrain-smoke.yaml"), "-o", output,
            "--set", $"data.path={DataSlices.Tweets400}", "--set", "data.max_texts=200", "--max-steps", "3",
            "--set", "pretrain.eval_steps=3", "--set", "pretrain.save_steps=2");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal("BertForMaskedLM", (string?)config["architectures"]![0]);
        using (var weights = SafeTensorsCheckpoint.Open(output))
            Assert.DoesNotContain("cls.predictions.decoder.weight", weights.Tensors.Keys);
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoints", "checkpoint-2")));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.Equal(3, (int)metrics["global_step"]!);
        Assert.Equal(Math.Exp((double)metrics["eval_loss"]!), (double)metrics["perplexity"]!, 6);

        var train = _ws.Write("ft.yaml", ScratchTransformer.Config("ft", 2).Replace("scratch:bert-tiny", output));
        CliRunner.Ok("train", "--config", train, "--runs-dir", _ws.RunsDir, "--no-report");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(_ws.RunsDir, "ft", "run.json")))!;
        Assert.Equal("completed", (string?)run["status"]);
        var model = JsonNode.Parse(File.ReadAllText(Path.Combine(_ws.RunsDir, "ft", "model", "config.json")))!;
        Assert.Equal("BertForSequenceClassification", (string?)model["architectures"]![0]);
    }

    [Fact]
    public void Sigterm_leaves_a_checkpoint_exits_143_and_resume_finishes_the_run()
    {
        if (!OperatingSystem.IsLinux()) return;
        var output = _ws.PathOf("mlm");
        string[] args =
        [
            "pretrain", "--config", Example("pretrain-smoke.yaml"), "-o", output, "--no-report", "--max-steps", "6",
            "--set", $"data.path={DataSlices.Tweets400}", "--set", "pretrain.save_steps=2", "--set", "pretrain.eval_steps=6",
        ];
        var checkpoints = Path.Combine(output, "checkpoints");
        var (stopped, _) = RunProbe.RunAndStopWhen(args, () => Directory.Exists(Path.Combine(checkpoints, "checkpoint-2")), RunProbe.Sigterm,
            environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") });
        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        Assert.Contains("continue with --resume", stopped.StderrUnwrapped);
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.NotEmpty(Directory.GetDirectories(checkpoints, "checkpoint-*"));

        // The model comes from the checkpoint: the resumed run needs neither the scratch cache nor the first process.
        CliRunner.Ok([.. args, "--resume"]);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        Assert.Equal(6, (int)metrics["global_step"]!);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void Bad_input_exits_2_naming_the_key_and_writes_nothing()
    {
        var output = _ws.PathOf("never");
        var bad = CliRunner.RunExpecting(2, "pretrain", "--config", Example("pretrain-smoke.yaml"), "-o", output,
            "--set", $"data.path={DataSlices.Tweets400}", "--set", "pretrain.mlm_probability=1.5");
        Assert.Contains("pretrain.mlm_probability", bad.StderrUnwrapped);
        Assert.Contains("strictly between 0 and 1", bad.StderrUnwrapped);

        var yaml = _ws.Write("p.yaml", "data:\n  path: x.txt\npretrain:\n  model: scratch:bert-tiny\n  mlm_probability: 0\n");
        var fromFile = CliRunner.RunExpecting(2, "pretrain", "--config", yaml, "-o", output);
        Assert.Contains("p.yaml:5", fromFile.StderrUnwrapped);

        var empty = _ws.Write("empty.txt", "\n\n");
        var noText = CliRunner.RunExpecting(2, "pretrain", "--data", empty, "--model", "scratch:bert-tiny", "-o", output);
        Assert.Contains("has no text", noText.StderrUnwrapped);

        var column = CliRunner.RunExpecting(2, "pretrain", "--data", DataSlices.Tweets400, "--text-col", "body", "--model", "scratch:bert-tiny", "-o", output);
        Assert.Contains("no column 'body'", column.StderrUnwrapped);

        var resume = CliRunner.RunExpecting(2, "pretrain", "--data", DataSlices.Tweets400, "--model", "scratch:bert-tiny", "-o", output, "--resume");
        Assert.Contains("no checkpoint", resume.StderrUnwrapped);
        Assert.False(Directory.Exists(output));
    }
}
