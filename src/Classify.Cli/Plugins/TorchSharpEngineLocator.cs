using Classify.Core.IO;

namespace Classify.Cli.Plugins;

/// <summary>Where the lean <c>classify</c> tool looks for the TorchSharp engine, as plain inputs (tests pass fake ones).</summary>
/// <param name="EnvironmentFolder">The value of <c>CLASSIFY_TORCHSHARP_ENGINE</c>, if set.</param>
/// <param name="HostFolder">The folder of <c>classify.dll</c>.</param>
/// <param name="PathVariable">The <c>PATH</c> variable (to find a <c>classify-torch</c> shim of a <c>--tool-path</c> install).</param>
/// <param name="GlobalToolsFolder">The global tools folder (<c>~/.dotnet/tools</c>, or under <c>DOTNET_CLI_HOME</c>).</param>
/// <param name="NuGetPackagesFolder">The NuGet packages folder (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>): local tools.</param>
/// <param name="Version">The host's version: an engine of this version is preferred.</param>
/// <param name="RuntimeIdentifier">This platform (<c>linux-x64</c>, …): the engine's platform package must match it.</param>
internal sealed record EngineSearch(string? EnvironmentFolder, string HostFolder, string? PathVariable, string? GlobalToolsFolder,
    string? NuGetPackagesFolder, string Version, string RuntimeIdentifier)
{
    /// <summary>The inputs of this process: its environment, <see cref="AppContext.BaseDirectory"/> and Classify's version.</summary>
    public static EngineSearch FromEnvironment()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cliHome = Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") is { Length: > 0 } h ? h : home;
        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } n ? n
            : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
        return new EngineSearch(
            Environment.GetEnvironmentVariable(TorchSharpEngineLocator.EnvironmentVariable) is { Length: > 0 } env ? env : null,
            AppContext.BaseDirectory,
            Environment.GetEnvironmentVariable("PATH"),
            string.IsNullOrEmpty(cliHome) ? null : Path.Combine(cliHome, ".dotnet", "tools"),
            nuget,
            Core.ClassifyInfo.Version,
            System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier);
    }
}

/// <summary>A folder that may hold the engine, and how it was found (for messages).</summary>
/// <param name="Folder">The folder that should hold <c>Classify.TorchSharp.dll</c> and its <c>.deps.json</c>.</param>
/// <param name="Origin">Where the folder came from, e.g. <c>CLASSIFY_TORCHSHARP_ENGINE</c> or <c>global tool</c>.</param>
internal sealed record EngineCandidate(string Folder, string Origin)
{
    /// <summary>The engine's main assembly in <see cref="Folder"/>.</summary>
    public string MainAssembly => Path.Combine(Folder, TorchSharpEngineLocator.MainAssemblyFile);

    /// <summary>True when the folder holds the engine's main assembly.</summary>
    public bool Exists => File.Exists(MainAssembly);
}

/// <summary>
/// Finds the folder of the TorchSharp engine (the build or publish output of <c>src/Classify.TorchSharp</c>, which is
/// also what the <c>Classify.TorchSharp</c> dotnet tool installs). The search order:
/// <list type="number">
/// <item><c>$CLASSIFY_TORCHSHARP_ENGINE</c>; when set, it must hold the engine (no fallback past a wrong folder).</item>
/// <item><c>engines/torchsharp/</c> beside <c>classify.dll</c>: what an in-repo <c>dotnet build</c> of the CLI puts there.</item>
/// <item>The installed <c>classify-torch</c> tool (its package for this platform, <c>Classify.TorchSharp.&lt;rid&gt;</c>, or a
/// platform-neutral one): the tool store holding this <c>classify</c> (a tool installed with the
/// same <c>-g</c> or <c>--tool-path</c>), the global tools store, the <c>.store</c> beside a <c>classify-torch</c> shim on
/// <c>PATH</c>, then the NuGet packages folder (local tools). In each store the host's version comes first, then the
/// others, newest first (so that a mismatch is reported rather than "not installed").</item>
/// </list>
/// </summary>
internal static class TorchSharpEngineLocator
{
    /// <summary>The environment variable naming the engine's folder.</summary>
    public const string EnvironmentVariable = "CLASSIFY_TORCHSHARP_ENGINE";
    /// <summary>The engine's main assembly (its <c>.deps.json</c> lies beside it).</summary>
    public const string MainAssemblyFile = "Classify.TorchSharp.dll";
    /// <summary>The engine's NuGet package id (tool stores use it lower-cased).</summary>
    public const string PackageId = "Classify.TorchSharp";
    /// <summary>The engine tool's command.</summary>
    public const string Command = "classify-torch";
    /// <summary>The engine folder of a source build, relative to the CLI's folder.</summary>
    public static readonly string BesideHost = Path.Combine("engines", "torchsharp");

    /// <summary>The first candidate that holds the engine, or null.</summary>
    /// <exception cref="InputException"><c>CLASSIFY_TORCHSHARP_ENGINE</c> is set to a folder without the engine.</exception>
    public static EngineCandidate? Locate(EngineSearch search)
    {
        ArgumentNullException.ThrowIfNull(search);
        if (search.EnvironmentFolder is { } env)
        {
            var candidate = new EngineCandidate(Path.GetFullPath(env), EnvironmentVariable);
            return candidate.Exists ? candidate : throw new InputException(
                $"{EnvironmentVariable} is set but {candidate.Folder} holds no {MainAssemblyFile}: point it at the engine's build or publish " +
                $"folder (or the installed {Command} tool's folder), or unset it");
        }
        return Candidates(search).FirstOrDefault(c => c.Exists);
    }

    /// <summary>Every place looked at after the environment variable, in order (folders that may not exist).</summary>
    public static IEnumerable<EngineCandidate> Candidates(EngineSearch search)
    {
        ArgumentNullException.ThrowIfNull(search);
        yield return new EngineCandidate(Path.Combine(Path.GetFullPath(search.HostFolder), BesideHost), "engines/torchsharp beside classify");
        var stores = new List<(string Store, string Origin)>();
        if (StoreHolding(search.HostFolder) is { } own) stores.Add((own, "tool store of classify"));
        if (search.GlobalToolsFolder is { } global) stores.Add((Path.Combine(global, ".store"), "global tool"));
        foreach (var dir in (search.PathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, Command)) || File.Exists(Path.Combine(dir, Command + ".exe")))
                stores.Add((Path.Combine(dir, ".store"), $"{Command} on PATH"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = PackageIds(search.RuntimeIdentifier);
        foreach (var (store, origin) in stores)
        {
            if (!seen.Add(Path.GetFullPath(store))) continue;
            // <store>/classify.torchsharp/<version>/<id>/<version>/tools/<tfm>/<rid or any>/, where <id> is the platform
            // package (classify.torchsharp.linux-x64) of a RID-specific tool or the tool package itself.
            foreach (var version in Versions(Path.Combine(store, ids[^1]), search.Version))
                foreach (var id in ids)
                    foreach (var folder in ToolFolders(Path.Combine(version, id, Path.GetFileName(version)), search.RuntimeIdentifier))
                        yield return new EngineCandidate(folder, origin);
        }
        if (search.NuGetPackagesFolder is { } packages)
            // <packages>/<id>/<version>/tools/<tfm>/<rid or any>/
            foreach (var id in ids)
                foreach (var version in Versions(Path.Combine(packages, id), search.Version))
                    foreach (var folder in ToolFolders(version, search.RuntimeIdentifier))
                        yield return new EngineCandidate(folder, "local tool (NuGet packages folder)");
    }

    // The platform package of this RID first, then the tool package itself (lower-cased, as stores and caches name them).
    private static string[] PackageIds(string rid) => [$"{PackageId}.{rid}".ToLowerInvariant(), PackageId.ToLowerInvariant()];

    // The .store folder above a tool's install folder (…/.store/<id>/<version>/<id>/<version>/tools/<tfm>/any).
    private static string? StoreHolding(string folder)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(folder)); dir is not null; dir = dir.Parent)
            if (dir.Name == ".store") return dir.FullName;
        return null;
    }

    // Version folders under a package folder: the wanted version first, then the others, newest first.
    private static IEnumerable<string> Versions(string packageFolder, string wanted)
    {
        if (!Directory.Exists(packageFolder)) return [];
        return Directory.GetDirectories(packageFolder)
            .OrderByDescending(d => Path.GetFileName(d) == wanted)
            .ThenByDescending(d => System.Version.TryParse(Path.GetFileName(d).Split('-', '+')[0], out var v) ? v : new Version(0, 0))
            .ThenByDescending(d => Path.GetFileName(d), StringComparer.Ordinal);
    }

    // tools/<tfm>/<rid>/ and tools/<tfm>/any/ of one installed package version.
    private static IEnumerable<string> ToolFolders(string packageVersionFolder, string rid)
    {
        var tools = Path.Combine(packageVersionFolder, "tools");
        if (!Directory.Exists(tools)) return [];
        return Directory.GetDirectories(tools).OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal)
            .SelectMany(tfm => new[] { Path.Combine(tfm, rid), Path.Combine(tfm, "any") });
    }
}
