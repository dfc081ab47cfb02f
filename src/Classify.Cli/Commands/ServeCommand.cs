using System.CommandLine;
using Classify.Core.IO;
using Classify.Server;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify serve --model [name=]DIR … [--port 8080] [--host 127.0.0.1] [--api-key-file FILE]</c>: the HTTP service
/// of <see cref="ClassifyServer"/> (linear and ONNX packages). Runs until Ctrl+C or SIGTERM, then drains.
/// </summary>
internal sealed class ServeCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var defaults = new ServerOptions();
        var model = new Option<string[]>("--model", "-m")
        {
            Description = "A linear or ONNX package to serve, as [name=]DIR (repeat for several; the first is the default). Transformer packages: export them to ONNX first.",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port).", DefaultValueFactory = _ => defaults.Port };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0: every interface).", DefaultValueFactory = _ => defaults.Host };
        var keyFile = new Option<FileInfo?>("--api-key-file") { Description = "File with one API key per line: /v1/ requests then need Authorization: Bearer KEY or X-API-Key: KEY." };
        var maxBatch = new Option<int>("--max-batch-size") { Description = "Most texts scored together (1 disables batching across requests).", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var maxWait = new Option<int>("--max-batch-wait-ms") { Description = "How long a batch waits for more texts, in milliseconds.", DefaultValueFactory = _ => defaults.MaxBatchWaitMs };
        var queue = new Option<int>("--queue-capacity") { Description = "Most texts waiting per model; beyond it requests get 429.", DefaultValueFactory = _ => defaults.QueueCapacity };
        var maxDelay = new Option<double>("--max-queue-delay-ms")
        {
            Description = "Most time a request may wait for its batch, in milliseconds: requests the model cannot reach in time (estimated from its measured speed) get 429 (0: no bound).",
            DefaultValueFactory = _ => defaults.MaxQueueDelayMs,
        };
        var maxConcurrent = new Option<int>("--max-concurrent-requests")
        {
            Description = "Most classify requests handled at once; more get 429 before their body is read (0: no limit).",
            DefaultValueFactory = _ => defaults.MaxConcurrentRequests,
        };
        var onnxThreads = new Option<int?>("--onnx-threads") { Description = "Intra-op threads per ONNX model (default: one per core; 1 leaves cores to the HTTP work)." };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (larger: 413).", DefaultValueFactory = _ => defaults.MaxRequestBodyBytes };
        var maxTexts = new Option<int>("--max-texts") { Description = "Most texts per request (more: 400).", DefaultValueFactory = _ => defaults.MaxTextsPerRequest };
        var maxChars = new Option<int>("--max-chars") { Description = "Most characters per text (more: 400).", DefaultValueFactory = _ => defaults.MaxCharsPerText };
        var drain = new Option<int>("--drain-seconds") { Description = "On SIGTERM or Ctrl+C, how long to finish accepted requests.", DefaultValueFactory = _ => (int)defaults.DrainTimeout.TotalSeconds };

        var command = new Command("serve", "Serve models over HTTP (POST /v1/classify, /metrics, a demo page at /).")
        {
            model, port, host, keyFile, maxBatch, maxWait, queue, maxDelay, maxConcurrent, onnxThreads, maxBody, maxTexts, maxChars, drain,
        };
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            if (parse.GetValue(drain) < 0) throw new InputException("must be at least 0", field: "--drain-seconds");
            var options = new ServerOptions
            {
                Models = (parse.GetValue(model) ?? []).Select(s => ModelSpec.Parse(s)).ToArray(),
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                ApiKeys = parse.GetValue(keyFile) is { } file ? ServerOptions.ReadApiKeys(file.FullName) : [],
                MaxBatchSize = parse.GetValue(maxBatch),
                MaxBatchWaitMs = parse.GetValue(maxWait),
                QueueCapacity = parse.GetValue(queue),
                MaxQueueDelayMs = parse.GetValue(maxDelay),
                MaxConcurrentRequests = parse.GetValue(maxConcurrent),
                OnnxThreads = parse.GetValue(onnxThreads),
                MaxRequestBodyBytes = parse.GetValue(maxBody),
                MaxTextsPerRequest = parse.GetValue(maxTexts),
                MaxCharsPerText = parse.GetValue(maxChars),
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                Log = ui.Info,
            };
            var server = ClassifyServer.Create(options);
            try
            {
                server.RunAsync(context.Cancellation).GetAwaiter().GetResult();
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InputException($"cannot listen on {options.Host}:{options.Port}: {e.Message}", field: "--port");
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        });
        return command;
    }
}
