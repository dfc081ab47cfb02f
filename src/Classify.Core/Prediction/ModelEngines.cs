using Classify.Core.IO;

namespace Classify.Core.Prediction;

/// <summary>The registry of model engines used by <see cref="TextClassifier.Load"/>.</summary>
public static class ModelEngines
{
    private static readonly List<IModelEngine> Engines = new();
    private static readonly Lock Gate = new();

    /// <summary>Registers an engine (idempotent per engine name).</summary>
    public static void Register(IModelEngine engine)
    {
        lock (Gate)
        {
            Engines.RemoveAll(e => e.Name == engine.Name);
            Engines.Add(engine);
        }
    }

    /// <summary>The registered engines.</summary>
    public static IReadOnlyList<IModelEngine> All { get { lock (Gate) return Engines.ToArray(); } }

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
