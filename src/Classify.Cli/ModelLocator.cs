using Classify.Cli.Terminal;
using Classify.Core.IO;
using Classify.Core.Prediction;

namespace Classify.Cli;

/// <summary>
/// Turns what the user typed after <c>--model</c> into a local model folder: an existing folder as is; otherwise
/// a registered model source (hub ids, scratch models) may resolve it.
/// </summary>
internal static class ModelLocator
{
    /// <summary>A way to turn a model spec into a folder (hub download, scratch initialisation).</summary>
    internal interface IModelSource
    {
        /// <summary>Returns the folder, or null when the spec is not this source's.</summary>
        string? TryResolve(string spec, ConsoleUi ui, CancellationToken cancellationToken);
    }

    private static readonly List<IModelSource> Sources = new();

    /// <summary>Adds a source (called by <see cref="Engines.RegisterAll"/>).</summary>
    public static void AddSource(IModelSource source)
    {
        lock (Sources) if (!Sources.Any(s => s.GetType() == source.GetType())) Sources.Add(source);
    }

    /// <summary>The local folder of a model spec.</summary>
    public static string Resolve(string spec, ConsoleUi ui, CancellationToken cancellationToken)
    {
        if (Directory.Exists(spec)) return Path.GetFullPath(spec);
        IModelSource[] sources;
        lock (Sources) sources = Sources.ToArray();
        foreach (var source in sources)
            if (source.TryResolve(spec, ui, cancellationToken) is { } dir) return dir;
        if (File.Exists(spec)) throw new InputException("expected a model folder, got a file", spec, field: "--model");
        throw new InputException("model not found: not a folder, a hub id (org/name) or scratch:<family>-<size>", spec, field: "--model");
    }

    /// <summary>Resolves and loads a model.</summary>
    public static TextClassifier Load(string spec, ConsoleUi ui, CancellationToken cancellationToken) =>
        TextClassifier.Load(Resolve(spec, ui, cancellationToken));
}
