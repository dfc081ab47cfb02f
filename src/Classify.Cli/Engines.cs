using Classify.Cli.Terminal;
using Classify.Core.Training;
using Classify.HuggingFace.Hub;
using Classify.Linear.Engine;
using Classify.Transformers.Engine;
using Classify.Transformers.Training;

namespace Classify.Cli;

/// <summary>The engines the CLI ships: model loaders for <c>predict</c>/<c>eval</c> and trainers for <c>train</c>.</summary>
internal static class Engines
{
    /// <summary>Registers every model engine and model source (idempotent).</summary>
    public static void RegisterAll()
    {
        LinearEngine.Register();
        TransformerEngine.Register();
        ModelLocator.AddSource(new HubOrScratchSource());
    }

    /// <summary>The trainer of an engine named in a config.</summary>
    public static IClassifierTrainer TrainerFor(string engine) => engine switch
    {
        "linear" => new LinearTrainer(),
        "transformer" => new TransformerTrainer(),
        _ => throw new Core.IO.InputException($"unknown engine '{engine}' (linear or transformer)", field: "engine"),
    };

    /// <summary>
    /// <c>org/name[@revision]</c> from the Hugging Face hub (into the HF cache, honouring HF_ENDPOINT, HF_HOME,
    /// HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE) and <c>scratch:&lt;family&gt;-&lt;size&gt;</c> random models.
    /// </summary>
    private sealed class HubOrScratchSource : ModelLocator.IModelSource
    {
        public string? TryResolve(string spec, ConsoleUi ui, CancellationToken cancellationToken)
        {
            if (!ScratchModels.IsScratch(spec) && !HubRepoId.LooksLikeRepoId(spec)) return null;
            var progress = new DownloadProgress(ui);
            return HubModelResolver.ResolveModelAsync(spec, progress: progress, cancellationToken: cancellationToken).GetAwaiter().GetResult();
        }
    }

    /// <summary>Prints one line per downloaded file (sizes in MB) so a long download shows it is alive.</summary>
    private sealed class DownloadProgress(ConsoleUi ui) : IProgress<HubDownloadProgress>
    {
        private readonly HashSet<string> _announced = new();

        public void Report(HubDownloadProgress value)
        {
            lock (_announced)
            {
                if (!_announced.Add(value.FileName)) return;
                var size = value.TotalBytes is { } t ? $" ({t / 1e6:0.0} MB)" : "";
                ui.Info($"downloading {value.RepoId}/{value.FileName}{size}");
            }
        }
    }
}
