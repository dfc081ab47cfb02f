using Classify.Core.Training;
using Classify.Linear.Engine;

namespace Classify.Cli;

/// <summary>The engines the CLI ships: model loaders for <c>predict</c>/<c>eval</c> and trainers for <c>train</c>.</summary>
internal static class Engines
{
    /// <summary>Registers every model engine and model source (idempotent).</summary>
    public static void RegisterAll()
    {
        LinearEngine.Register();
    }

    /// <summary>The trainer of an engine named in a config.</summary>
    public static IClassifierTrainer TrainerFor(string engine) => engine switch
    {
        "linear" => new LinearTrainer(),
        _ => throw new Core.IO.InputException($"engine '{engine}' cannot train yet", field: "engine"),
    };
}
