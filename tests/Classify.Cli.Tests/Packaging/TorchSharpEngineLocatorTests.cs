using Classify.Cli.Plugins;
using Classify.Core.IO;

namespace Classify.Cli.Tests.Packaging;

/// <summary>
/// The search order of <see cref="TorchSharpEngineLocator"/> on fake folders (an empty <c>Classify.TorchSharp.dll</c>
/// marks an engine), and the version check before anything is loaded.
/// </summary>
public sealed class TorchSharpEngineLocatorTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("classify-locator-");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(params string[] parts) => Directory.CreateDirectory(Path.Combine([_root, .. parts])).FullName;

    private string Engine(params string[] parts)
    {
        var dir = Dir(parts);
        File.WriteAllBytes(Path.Combine(dir, TorchSharpEngineLocator.MainAssemblyFile), []);
        return dir;
    }

    // A RID-specific tool: <store>/classify.torchsharp/<v>/classify.torchsharp.<rid>/<v>/tools/net10.0/<rid>
    private string StoreEngine(string store, string version, string rid = "linux-x64") =>
        Engine([store, "classify.torchsharp", version, "classify.torchsharp." + rid, version, "tools", "net10.0", rid]);

    private EngineSearch Search(string? env = null, string? host = null, string? path = null, string? tools = null, string? nuget = null, string version = "0.1.0") =>
        new(env, host ?? Dir("host"), path, tools ?? Path.Combine(_root, "no-tools"), nuget ?? Path.Combine(_root, "no-nuget"), version, "linux-x64");

    [Fact]
    public void Nothing_installed_finds_nothing()
    {
        Assert.Null(TorchSharpEngineLocator.Locate(Search(path: Dir("bin"))));
    }

    [Fact]
    public void The_environment_variable_comes_first_and_a_wrong_folder_is_an_error_not_a_fallback()
    {
        var env = Engine("env");
        var host = Dir("host");
        Engine("host", "engines", "torchsharp");
        var found = TorchSharpEngineLocator.Locate(Search(env: env, host: host))!;
        Assert.Equal(env, found.Folder);
        Assert.Equal(TorchSharpEngineLocator.EnvironmentVariable, found.Origin);

        var wrong = Dir("empty");
        var e = Assert.Throws<InputException>(() => TorchSharpEngineLocator.Locate(Search(env: wrong, host: host)));
        Assert.Contains(TorchSharpEngineLocator.EnvironmentVariable, e.Message);
        Assert.Contains(wrong, e.Message);
    }

    [Fact]
    public void The_source_build_folder_beside_classify_comes_before_installed_tools()
    {
        var host = Dir("host");
        var beside = Engine("host", "engines", "torchsharp");
        var tools = Dir("tools");
        StoreEngine(Path.Combine(tools, ".store"), "0.1.0");
        Assert.Equal(beside, TorchSharpEngineLocator.Locate(Search(host: host, tools: tools))!.Folder);
    }

    [Fact]
    public void A_global_tool_of_the_hosts_version_is_preferred_then_the_newest_other()
    {
        var tools = Dir("tools");
        var store = Path.Combine(tools, ".store");
        StoreEngine(store, "0.0.9");
        var newer = StoreEngine(store, "0.10.0");
        Assert.Equal(newer, TorchSharpEngineLocator.Locate(Search(tools: tools))!.Folder);   // a mismatch, reported when loading
        var same = StoreEngine(store, "0.1.0");
        var found = TorchSharpEngineLocator.Locate(Search(tools: tools))!;
        Assert.Equal(same, found.Folder);
        Assert.Equal("global tool", found.Origin);
    }

    [Fact]
    public void Only_this_platforms_package_counts_and_a_platform_neutral_tool_package_works_too()
    {
        var tools = Dir("tools");
        var store = Path.Combine(tools, ".store");
        StoreEngine(store, "0.1.0", rid: "osx-arm64");
        Assert.Null(TorchSharpEngineLocator.Locate(Search(tools: tools)));
        var neutral = Engine(store, "classify.torchsharp", "0.1.0", "classify.torchsharp", "0.1.0", "tools", "net10.0", "any");
        Assert.Equal(neutral, TorchSharpEngineLocator.Locate(Search(tools: tools))!.Folder);
    }

    [Fact]
    public void A_tool_path_install_is_found_through_the_classify_torch_shim_on_PATH()
    {
        var toolPath = Dir("lean-tools");
        File.WriteAllText(Path.Combine(toolPath, TorchSharpEngineLocator.Command), "");
        var engine = StoreEngine(Path.Combine(toolPath, ".store"), "0.1.0");
        var found = TorchSharpEngineLocator.Locate(Search(path: string.Join(Path.PathSeparator, Dir("bin"), toolPath)))!;
        Assert.Equal(engine, found.Folder);
        Assert.Contains("on PATH", found.Origin);
    }

    [Fact]
    public void The_tool_store_holding_classify_itself_is_searched()
    {
        // classify installed with --tool-path elsewhere and not on PATH: the engine installed with the same --tool-path.
        var store = Path.Combine(_root, "opt-tools", ".store");
        var host = Dir(store, "classify.cli", "0.1.0", "classify.cli", "0.1.0", "tools", "net10.0", "any");
        var engine = StoreEngine(store, "0.1.0");
        Assert.Equal(engine, TorchSharpEngineLocator.Locate(Search(host: host))!.Folder);
    }

    [Fact]
    public void A_local_tool_is_found_in_the_NuGet_packages_folder_last()
    {
        var nuget = Dir("packages");
        var local = Engine("packages", "classify.torchsharp.linux-x64", "0.1.0", "tools", "net10.0", "linux-x64");
        var found = TorchSharpEngineLocator.Locate(Search(nuget: nuget))!;
        Assert.Equal(local, found.Folder);
        var tools = Dir("tools");
        var global = StoreEngine(Path.Combine(tools, ".store"), "0.1.0");
        Assert.Equal(global, TorchSharpEngineLocator.Locate(Search(tools: tools, nuget: nuget))!.Folder);
    }

    [Fact]
    public void An_engine_of_another_version_is_refused_with_one_line_naming_both_versions()
    {
        // Any real assembly of another version stands in for the engine: the check reads the file, it loads nothing.
        var folder = Dir("old-engine");
        File.Copy(typeof(FactAttribute).Assembly.Location, Path.Combine(folder, TorchSharpEngineLocator.MainAssemblyFile));
        var version = TorchSharpEngine.EngineVersion(Path.Combine(folder, TorchSharpEngineLocator.MainAssemblyFile));
        Assert.NotEqual(Core.ClassifyInfo.Version, version);
        var e = Assert.Throws<InputException>(() => TorchSharpEngine.LoadFrom(new EngineCandidate(folder, "test"), Core.ClassifyInfo.Version));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains($"version {version} but classify is {Core.ClassifyInfo.Version}", e.Message);
        Assert.Contains("dotnet tool update -g Classify.TorchSharp", e.Message);
    }
}
