using System.Text.Json.Nodes;
using Classify.Cli.Plugins;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.Packaging;

/// <summary>
/// The lean <c>classify</c> (a folder holding only what classify.deps.json names: no TorchSharp, libtorch or
/// Classify.Transformers) as a child process: without the engine, linear work runs and transformer work stops with
/// one line naming the fix (exit 2, nothing written); with <c>CLASSIFY_TORCHSHARP_ENGINE</c> pointing at the engine
/// alone in another folder, the engine is loaded there (its own load context) and trains, predicts and pretrains.
/// </summary>
public sealed class LeanToolTests : IClassFixture<LeanToolTests.Folders>, IDisposable
{
    /// <summary>The lean CLI and the engine, each mirrored into a folder of its own, once for the class.</summary>
    public sealed class Folders : IDisposable
    {
        public Folders()
        {
            Root = TestPaths.NewTempDirectory("classify-lean-");
            Cli = Path.Combine(AppMirror.Create(AppContext.BaseDirectory, "classify", Path.Combine(Root, "cli")), "classify.dll");
            Engine = AppMirror.Create(AppContext.BaseDirectory, "Classify.TorchSharp", Path.Combine(Root, "engine"));
        }

        public string Root { get; }
        public string Cli { get; }
        public string Engine { get; }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private readonly Folders _folders;
    private readonly Workspace _ws = new();

    public LeanToolTests(Folders folders) => _folders = folders;

    public void Dispose() => _ws.Dispose();

    // No engine anywhere: not in the environment, beside classify, in a tool store, on PATH or in a NuGet folder.
    private Dictionary<string, string?> Without() => new()
    {
        [TorchSharpEngineLocator.EnvironmentVariable] = null,
        ["DOTNET_CLI_HOME"] = _ws.PathOf("cli-home"),
        ["NUGET_PACKAGES"] = _ws.PathOf("nuget"),
        ["PATH"] = "/usr/bin:/bin",
    };

    private Dictionary<string, string?> With() => new(Without()) { [TorchSharpEngineLocator.EnvironmentVariable] = _folders.Engine };

    private CliResult Lean(Dictionary<string, string?> environment, params string[] args) =>
        CliRunner.RunProcess(args, environment: environment, cliDll: _folders.Cli, workingDirectory: _ws.Root);

    [Fact]
    public void The_lean_folder_has_no_torch()
    {
        var cli = Path.GetDirectoryName(_folders.Cli)!;
        Assert.True(File.Exists(Path.Combine(cli, "Classify.Linear.dll")));
        Assert.DoesNotContain(Directory.EnumerateFiles(cli, "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(f).StartsWith("Classify.Transformers", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_folders.Engine, "runtimes", "linux-x64", "native", "libtorch_cpu.so")));
    }

    [Fact]
    public void Without_the_engine_linear_work_runs_and_transformer_work_exits_2_naming_the_fix_and_writes_nothing()
    {
        var env = Without();
        var linear = Lean(env, "train", "--data", DataSlices.Tweets400, "--label-col", "sentiment", "--id-col", "textID", "--name", "lin",
            "--runs-dir", _ws.RunsDir, "--no-report", "--set", "linear.search.cv=2");
        Assert.True(linear.ExitCode == 0, linear.ToString());
        Assert.Equal(0, Lean(env, "serve", "--help").ExitCode);

        var config = _ws.Write("bert.yaml", ScratchTransformer.Config("bert", 2));
        var runs = _ws.PathOf("bert-runs");
        var train = Lean(env, "train", "--config", config, "--runs-dir", runs, "--no-report");
        AssertMissing(train, "engine: transformer needs the TorchSharp engine");
        Assert.False(Directory.Exists(runs));

        var predict = Lean(env, "predict", "--model", TestPaths.Fixture("tiny-bert"), "hello");
        AssertMissing(predict, "this transformer model needs the TorchSharp engine");
        Assert.Contains("classify export --model", predict.StderrUnwrapped);
        Assert.Contains("--format onnx", predict.StderrUnwrapped);

        var output = _ws.PathOf("mlm");
        var pretrain = Lean(env, "pretrain", "-o", output, "--data", DataSlices.Tweets400, "--model", "scratch:bert-tiny");
        AssertMissing(pretrain, "classify pretrain needs the TorchSharp engine");
        Assert.False(Directory.Exists(output));
    }

    private static void AssertMissing(CliResult result, string what)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(what, result.StderrUnwrapped);
        Assert.Contains("dotnet tool install -g Classify.TorchSharp", result.StderrUnwrapped);
        Assert.Contains(TorchSharpEngineLocator.EnvironmentVariable, result.StderrUnwrapped);
        Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("error", StringComparison.Ordinal));
    }

    [Fact]
    public void With_the_engine_in_its_own_folder_the_lean_tool_trains_predicts_and_pretrains_a_tiny_bert()
    {
        var env = With();
        env["CLASSIFY_CACHE"] = _ws.PathOf("cache");
        var config = _ws.Write("bert.yaml", ScratchTransformer.Config("bert", 2));
        var train = Lean(env, "train", "--config", config, "--runs-dir", _ws.RunsDir, "--no-report");
        Assert.True(train.ExitCode == 0, train.ToString());
        var model = Path.Combine(_ws.RunsDir, "bert", "model");
        Assert.Equal("transformer", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(model, "classify.json")))!["engine"]);

        var predict = Lean(env, "predict", "--model", model, "--format", "json", "What a lovely day");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.StartsWith("{\"text\":\"What a lovely day\"", predict.Stdout.Trim());

        var output = _ws.PathOf("mlm");
        var pretrain = Lean(env, "pretrain", "-o", output, "--data", DataSlices.Tweets400, "--model", "scratch:bert-tiny", "--max-steps", "1",
            "--set", "data.max_texts=64", "--no-report");
        Assert.True(pretrain.ExitCode == 0, pretrain.ToString());
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }
}
