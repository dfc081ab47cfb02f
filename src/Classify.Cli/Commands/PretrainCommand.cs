using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Cli.Plugins;
using Classify.Core.Training;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify pretrain</c>: continued (or from-scratch) masked-language-model pretraining of an encoder on a text corpus.
/// Settings come from a YAML file (<c>data:</c> and <c>pretrain:</c> sections), flags and <c>--set key.path=value</c>; the
/// output folder is an HF <c>*ForMaskedLM</c> folder that <c>transformer.model</c> can fine-tune from.
/// </summary>
internal sealed class PretrainCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML with data: and pretrain: sections (see examples/pretrain-smoke.yaml)." };
        var set = new Option<string[]>("--set") { Description = "Override any setting: --set pretrain.max_steps=100 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Output folder (new or empty; with --resume, the folder of the run to continue).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in the output folder from its latest checkpoint." };
        var noReport = new Option<bool>("--no-report") { Description = "Skip the training-curves plot." };
        var flags = new Dictionary<string, Option<string?>>
        {
            ["data.path"] = new("--data") { Description = "Corpus: .txt (one text per line), .csv, .tsv or .jsonl." },
            ["data.text_col"] = new("--text-col") { Description = "Text column of a CSV/TSV/JSONL corpus (default text)." },
            ["pretrain.model"] = new("--model", "-m") { Description = "Starting model: scratch:<family>-<size>, an HF folder (MLM, classifier or base encoder) or a hub id." },
            ["pretrain.tokenizer"] = new("--tokenizer") { Description = "Tokenizer folder (default: the model's)." },
            ["pretrain.max_steps"] = new("--max-steps") { Description = "Total optimizer steps (overrides num_train_epochs)." },
            ["seed"] = new("--seed") { Description = "Seed for initialisation, masking, dropout, batch order and the held-out split (default 42)." },
        };

        var command = new Command("pretrain", "Masked-language-model pretraining of an encoder on a text corpus (output: an HF *ForMaskedLM folder).")
        {
            config, set, output, resume, noReport,
        };
        foreach (var o in flags.Values) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var flagTree = ConfigFlags.Tree(parse, flags, "seed", "pretrain.max_steps");
            var reader = LoadConfig(parse.GetValue(config)?.FullName, parse.GetValue(set), flagTree);
            // The work is the TorchSharp engine's (loaded here when installed); parsing stays in the shell.
            TorchSharpEngine.EnsureLoaded("classify pretrain");
            var pretrainer = Pretrainers.Find("mlm") ?? throw new InvalidOperationException("the TorchSharp engine registered no mlm pretrainer");
            var job = pretrainer.Prepare(reader);
            PretrainingOutcome result;
            try
            {
                result = ui.WithProgress(p => job.Run(parse.GetValue(output)!.FullName, parse.GetValue(resume), ui.Info, p, context.Cancellation));
            }
            catch (OperationCanceledException e) when (e.Message.Contains("--resume", StringComparison.Ordinal) || e.Message.StartsWith("Pretraining", StringComparison.Ordinal))
            {
                ui.Info(e.Message);   // where it stopped and how to continue; the shell then reports "cancelled"
                throw;
            }
            if (!parse.GetValue(noReport))
            {
                try
                {
                    if (Classify.Reports.Charts.TrainingCurves.Write(result.LogJsonl, result.OutputDirectory) is { } chart) ui.Info($"training curves: {chart.PngPath}");
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
                {
                    ui.Warn($"training curves not drawn: {e.Message}");
                }
            }
            var m = result.Metrics;
            string F(string key, string format) => m[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
            ui.Info($"steps {m["global_step"]}, train loss {F("train_loss", "0.0000")}, held-out MLM loss {F("eval_loss", "0.0000")}, perplexity {F("perplexity", "0.00")}");
            ui.Info($"model folder: {result.OutputDirectory}");
            return 0;
        });
        return command;
    }

    /// <summary>The YAML (optional), then the flags, then the <c>--set</c> overrides; errors name the file and line, or the command line.</summary>
    internal static ConfigReader LoadConfig(string? yamlPath, IEnumerable<string>? overrides, JsonObject flagValues)
    {
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var tree = yamlPath is null ? new JsonObject() : ConfigDocument.LoadYaml(yamlPath, lines);
        var elsewhere = new Dictionary<string, string>(StringComparer.Ordinal);
        ConfigDocument.Merge(tree, flagValues);
        foreach (var key in LeafKeys(flagValues, "")) elsewhere[key] = ExperimentConfig.CommandLine;
        foreach (var o in overrides ?? [])
        {
            ConfigDocument.ApplyOverride(tree, o);
            elsewhere[o[..o.IndexOf('=')].Trim()] = ExperimentConfig.CommandLine;
        }
        (string? Source, long? Line) Locate(string key)
        {
            for (var k = key; k.Length > 0; k = k.LastIndexOf('.') is var dot && dot > 0 ? k[..dot] : "")
            {
                if (elsewhere.TryGetValue(k, out var origin)) return (origin, null);
                if (lines.TryGetValue(k, out var line)) return (yamlPath, line);
            }
            return (yamlPath ?? ExperimentConfig.CommandLine, null);
        }
        return new ConfigReader(tree, "", yamlPath, k => Locate(k).Line, k => Locate(k).Source);
    }

    private static IEnumerable<string> LeafKeys(JsonObject tree, string prefix)
    {
        foreach (var (key, value) in tree)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject child) foreach (var leaf in LeafKeys(child, path)) yield return leaf;
            else yield return path;
        }
    }
}
