using System.Text.Json.Nodes;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>
/// A folder holding exactly one application of this test's output folder: the files its <c>.deps.json</c> names (as
/// symbolic links, so making one is quick and takes no space). The lean CLI's mirror has no TorchSharp, libtorch or
/// Classify.Transformers; the engine's mirror is the engine alone, in a folder of its own.
/// </summary>
internal static class AppMirror
{
    /// <summary>Mirrors application <paramref name="app"/> (e.g. <c>classify</c>) of <paramref name="source"/> into <paramref name="target"/>.</summary>
    public static string Create(string source, string app, string target)
    {
        Directory.CreateDirectory(target);
        var deps = JsonNode.Parse(File.ReadAllText(Path.Combine(source, app + ".deps.json")))!;
        var files = new HashSet<string>(StringComparer.Ordinal) { app + ".dll", app + ".deps.json", app + ".runtimeconfig.json" };
        foreach (var (_, libraries) in deps["targets"]!.AsObject())
            foreach (var (_, library) in libraries!.AsObject())
            {
                foreach (var kind in new[] { "runtime", "native" })
                    if (library?[kind] is JsonObject assets)
                        foreach (var (path, _) in assets) files.Add(Path.GetFileName(path));
                if (library?["runtimeTargets"] is JsonObject targets)
                    foreach (var (path, _) in targets) files.Add(path);
                if (library?["resources"] is JsonObject resources)
                    foreach (var (path, info) in resources) files.Add(Path.Combine((string)info!["locale"]!, Path.GetFileName(path)));
            }
        foreach (var file in files)
        {
            var from = Path.Combine(source, file);
            if (!File.Exists(from)) continue;
            var to = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.CreateSymbolicLink(to, from);
        }
        return target;
    }
}
