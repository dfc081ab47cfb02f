using Classify.Core.IO;
using Classify.Core.Plugins;
using Classify.Core.Training;

namespace Classify.Core.Prediction;

/// <summary>The registry of model engines used by <see cref="TextClassifier.Load"/>.</summary>
public static class ModelEngines
{
    private static readonly NamedRegistry<IModelEngine> Engines = new(e => e.Name);

    /// <summary>Registers an engine (idempotent per engine name).</summary>
    public static void Register(IModelEngine engine) => Engines.Register(engine);

    /// <summary>The registered engines.</summary>
    public static IReadOnlyList<IModelEngine> All => Engines.All;

    /// <summary>
    /// A new trainer for the engine a config names. <paramref name="source"/> and <paramref name="line"/> locate the
    /// <c>engine:</c> key for the error when no registered engine of that name trains.
    /// </summary>
    /// <exception cref="InputException">No registered engine of that name, or it cannot train.</exception>
    public static IClassifierTrainer TrainerFor(string engine, string? source = null, long? line = null)
    {
        var all = All;
        if (all.FirstOrDefault(e => e.Name == engine)?.CreateTrainer() is { } trainer) return trainer;
        var trainers = string.Join(", ", all.Where(e => e.CreateTrainer() is not null).Select(e => e.Name));
        var reason = all.Any(e => e.Name == engine) ? $"the {engine} engine only predicts" : $"unknown engine '{engine}'";
        throw new InputException($"{reason} (engines that train: {(trainers.Length == 0 ? "none registered" : trainers)})", source, line, "engine");
    }

    /// <summary>Loads a model package or checkpoint folder with the first engine that can.</summary>
    public static IPredictor Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new InputException("model folder not found", directory);
        var manifest = File.Exists(Path.Combine(directory, ModelManifest.FileName)) ? ModelManifest.Load(directory) : null;
        foreach (var engine in All)
            if (engine.CanLoad(directory, manifest)) return engine.Load(directory, manifest);
        var names = string.Join(", ", All.Select(e => e.Name));
        throw new InputException(manifest is null
            ? $"not a model package (no {ModelManifest.FileName}) and no registered engine ({names}) recognises it"
            : $"engine '{manifest.Engine}' is not available (registered: {names})", directory);
    }
}
