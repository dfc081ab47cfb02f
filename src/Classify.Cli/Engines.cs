using Classify.Cli.Terminal;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Hub;
using Classify.Linear.Engine;
using Classify.Onnx.Engine;
using Classify.Cli.Plugins;

namespace Classify.Cli;

/// <summary>
/// What the CLI ships: the linear and onnx engines and the hub model source; the transformer engine and the scratch
/// model source come from the separately installed TorchSharp engine, loaded on first use (<see cref="TorchSharpEngine"/>).
/// </summary>
internal static class Engines
{
    /// <summary>Registers every engine and model source (idempotent).</summary>
    public static void RegisterAll()
    {
        LinearEngine.Register();
        TorchSharpEngine.Register();
        OnnxEngine.Register();
        HubModelSource.Register();
    }

    /// <summary>Source options whose progress prints one line per downloaded file (sizes in MB), so a long download shows it is alive.</summary>
    public static ModelSourceOptions SourceOptions(ConsoleUi ui) => new() { Progress = new DownloadProgress(ui), Key = "--model" };

    private sealed class DownloadProgress(ConsoleUi ui) : IProgress<ProgressUpdate>
    {
        private readonly HashSet<string> _announced = new();

        public void Report(ProgressUpdate value)
        {
            lock (_announced)
            {
                if (!_announced.Add(value.Stage)) return;
                ui.Info(value.Total > 0 ? $"{value.Stage} ({value.Total / 1e6:0.0} MB)" : value.Stage);
            }
        }
    }
}
