using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Classify.Cli.Plugins;

/// <summary>
/// The load context of an engine loaded from its own folder: assemblies the host has (Classify.Core,
/// Classify.HuggingFace, YamlDotNet, the framework, …) resolve to the default context, so the engine's types are the
/// host's; the rest (Classify.Transformers, TorchSharp) and native libraries (libtorch, LibTorchSharp) resolve through
/// the engine's <c>.deps.json</c> with an <see cref="AssemblyDependencyResolver"/>.
/// </summary>
internal sealed class EngineLoadContext : AssemblyLoadContext
{
    private static readonly Lazy<HashSet<string>> HostAssemblies = new(() =>
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                names.Add(Path.GetFileNameWithoutExtension(path));
        foreach (var loaded in Default.Assemblies)
            if (loaded.GetName().Name is { } name) names.Add(name);
        return names;
    });

    private readonly AssemblyDependencyResolver _resolver;

    /// <summary>A context resolving through the <c>.deps.json</c> beside <paramref name="mainAssemblyPath"/>.</summary>
    public EngineLoadContext(string mainAssemblyPath) : base($"engine:{Path.GetFileNameWithoutExtension(mainAssemblyPath)}", isCollectible: false)
        => _resolver = new AssemblyDependencyResolver(mainAssemblyPath);

    /// <summary>True when the host's default context provides an assembly of that simple name.</summary>
    public static bool HostHas(string simpleName) => HostAssemblies.Value.Contains(simpleName);

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && HostHas(name)) return null;   // shared with the host: one copy of each type
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // A library that does not load from the engine's folder (say, libLibTorchSharp.so where the system libstdc++ is too
        // old: TorchRuntime has then loaded a patched copy under the same soname) falls back to the runtime's own probing.
        return _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path && NativeLibrary.TryLoad(path, out var handle)
            ? handle
            : IntPtr.Zero;
    }
}
