using System.CommandLine;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Onnx.Export;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify export --model M --format onnx [--quantize int8] [--mc-dropout] -o DIR</c>: a transformer package or Hugging Face
/// classifier folder (or hub id) as an ONNX package that the onnx engine, the server and Python's onnxruntime run.
/// </summary>
internal sealed class ExportCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "Transformer package or Hugging Face classifier folder (or hub id org/name).", Required = true };
        var format = new Option<string>("--format") { Description = "Export format.", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx");
        var quantize = new Option<string>("--quantize") { Description = "Weight precision: none (float32) or int8 (dynamic quantization).", DefaultValueFactory = _ => "none" };
        quantize.AcceptOnlyFromAmong("none", "int8");
        var mcDropout = new Option<bool>("--mc-dropout")
        {
            Description = "Keep the dropout layers in the graph, switched by a boolean input (mc_dropout), so the onnx engine and serve can run Monte-Carlo dropout (--mc-samples); scores with it off equal a plain export's.",
        };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "New (or empty) folder for the package.", Required = true };

        var command = new Command("export", "Export a transformer model as an ONNX package.") { model, format, quantize, mcDropout, output };
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var source = ModelSources.Resolve(parse.GetValue(model)!, Engines.SourceOptions(ui), context.Cancellation);
            var quantization = parse.GetValue(quantize) == "int8" ? OnnxQuantization.Int8 : OnnxQuantization.None;
            var result = OnnxExporter.Export(source, parse.GetValue(output)!.FullName, new OnnxExportOptions { Quantization = quantization, McDropout = parse.GetValue(mcDropout) });
            var dropout = parse.GetValue(mcDropout) ? $", {result.DropoutNodes} switchable dropout node{(result.DropoutNodes == 1 ? "" : "s")}" : "";
            ui.Info($"exported {result.ModelType} ({(quantization == OnnxQuantization.Int8 ? "int8" : "float32")}, {result.NodeCount:N0} nodes{dropout}, " +
                    $"{result.ModelBytes / 1e6:0.0} MB) to {result.Directory}");
            return 0;
        });
        return command;
    }
}
