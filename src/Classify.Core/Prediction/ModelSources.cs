using Classify.Core.IO;
using Classify.Core.Plugins;
using Classify.Core.Training;

namespace Classify.Core.Prediction;

/// <summary>
/// A way to turn a model spec that is not a local folder into one: a Hugging Face hub id (download into the hub cache),
/// <c>scratch:&lt;family&gt;-&lt;size&gt;</c> (a randomly initialised model) … Sources register with
/// <see cref="ModelSources.Register"/>.
/// </summary>
public interface IModelSource
{
    /// <summary>A short name for messages (hub, scratch).</summary>
    string Name { get; }

    /// <summary>The spelling this source understands, for the "not found" message (for example <c>org/name[@revision]</c>).</summary>
    string Syntax { get; }

    /// <summary>True when <paramref name="spec"/> is written in this source's syntax (no I/O).</summary>
    bool Recognizes(string spec);

    /// <summary>The local folder of <paramref name="spec"/> (downloading or creating it as needed).</summary>
    Task<string> ResolveAsync(string spec, ModelSourceOptions options, CancellationToken cancellationToken);
}

/// <summary>Settings for resolving a model spec.</summary>
public sealed record ModelSourceOptions
{
    /// <summary>Seed of a scratch model's weights.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Download or creation progress (stage names the file; units are bytes when known).</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }

    /// <summary>The option or config key the spec came from, named in errors (<c>--model</c>, <c>transformer.model</c>).</summary>
    public string Key { get; init; } = "model";
}

/// <summary>
/// Resolves what a user writes after <c>--model</c> (or <c>transformer.model</c>) into a local folder. A local path
/// always wins and never leaves the machine: a spec that exists locally, that starts with <c>./</c>, <c>../</c>,
/// <c>/</c> or <c>~</c>, or whose first path part exists locally (<c>runs/bsae</c> beside a <c>runs</c> folder) is a
/// path, and a missing one is reported as such instead of being asked of the hub. Anything else goes to the first
/// registered source that recognises it.
/// </summary>
public static class ModelSources
{
    private static readonly NamedRegistry<IModelSource> Sources = new(s => s.Name);

    /// <summary>Registers a source (idempotent per source name).</summary>
    public static void Register(IModelSource source) => Sources.Register(source);

    /// <summary>The registered sources.</summary>
    public static IReadOnlyList<IModelSource> All => Sources.All;

    /// <summary>The local folder of a model spec.</summary>
    /// <exception cref="InputException">A local path that does not exist or is a file, or a spec no source understands.</exception>
    public static string Resolve(string spec, ModelSourceOptions? options = null, CancellationToken cancellationToken = default) =>
        ResolveAsync(spec, options, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc cref="Resolve"/>
    public static async Task<string> ResolveAsync(string spec, ModelSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        options ??= new ModelSourceOptions();
        var path = ExpandHome(spec);
        if (Directory.Exists(path)) return Path.GetFullPath(path);
        if (File.Exists(path)) throw new InputException("expected a model folder, got a file", spec, field: options.Key);
        if (IsLocalPath(spec))
            throw new InputException("model not found: no such local folder (a path that starts with ./, ../, / or ~, or whose first part exists here, is never looked up on the hub)",
                spec, field: options.Key);
        foreach (var source in All)
            if (source.Recognizes(spec))
                return await source.ResolveAsync(spec, options, cancellationToken).ConfigureAwait(false);
        var known = string.Join(", ", All.Select(s => s.Syntax).Prepend("a folder"));
        throw new InputException($"model not found: not {known}", spec, field: options.Key);
    }

    /// <summary>
    /// True when <paramref name="spec"/> must be a local path: it starts with <c>./</c>, <c>../</c>, <c>/</c> or
    /// <c>~</c> (or a drive letter), or its first path part exists in the working folder.
    /// </summary>
    public static bool IsLocalPath(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith("./") || spec.StartsWith("../") || spec.StartsWith('/') || spec.StartsWith('~')
            || spec.StartsWith(".\\") || spec.StartsWith("..\\") || Path.IsPathRooted(spec)) return true;
        var separator = spec.IndexOfAny(['/', '\\']);
        if (separator <= 0) return false;
        var first = spec[..separator];
        return Directory.Exists(first) || File.Exists(first);
    }

    private static string ExpandHome(string spec) =>
        spec == "~" || spec.StartsWith("~/")
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), spec.Length > 2 ? spec[2..] : "")
            : spec;
}
