using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Classify.Core;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Plugins;
using Classify.Core.Prediction;
using Classify.Core.Training;

namespace Classify.Cli.Plugins;

/// <summary>
/// The lean tool's way to the TorchSharp (transformer) engine, which ships separately (the <c>Classify.TorchSharp</c>
/// tool, <c>classify-torch</c>) because libtorch is most of its size. Until something needs it, stand-ins are registered
/// under the engine's names: the <c>transformer</c> engine (trainer and loader) and the <c>scratch:</c> model source.
/// The first use loads the engine, in this order: (a) <c>Classify.Transformers</c> already loadable in the default
/// context (tests and programs that reference it); (b)–(d) a folder found by <see cref="TorchSharpEngineLocator"/>,
/// loaded into an <see cref="EngineLoadContext"/> after checking that its version is the host's. The engine's
/// <see cref="IEnginePlugin"/> then registers the real engine, source and pretrainer over the stand-ins. When no engine
/// is found the stand-ins throw an <see cref="InputException"/> naming the fix (exit 2, nothing written).
/// </summary>
internal static class TorchSharpEngine
{
    /// <summary>The assembly that declares the engine's <see cref="EnginePluginAttribute"/>.</summary>
    public const string PluginAssembly = "Classify.Transformers";
    /// <summary>The engine name the stand-in holds.</summary>
    public const string EngineName = "transformer";

    private static readonly Lock Gate = new();
    private static IEnginePlugin? _plugin;

    /// <summary>Where the loaded engine came from (its folder, or <c>referenced</c>); null until it is loaded.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>
    /// Registers the engine when it is loaded or referenced, else the stand-ins that load it on first use (idempotent;
    /// the stand-ins replace nothing but themselves).
    /// </summary>
    public static void Register()
    {
        lock (Gate)
        {
            AdoptReferenced();
            if (_plugin is not null)
            {
                _plugin.Register();
                return;
            }
        }
        ModelEngines.Register(new StandInEngine());
        ModelSources.Register(new StandInScratchSource());
    }

    /// <summary>
    /// Loads the engine (once) and registers it. <paramref name="need"/> says what needs it, for the message when it is
    /// missing; <paramref name="alternative"/> is appended to that message.
    /// </summary>
    /// <exception cref="InputException">The engine is not installed, or its version is not the host's.</exception>
    public static IEnginePlugin EnsureLoaded(string need, string? alternative = null)
    {
        lock (Gate)
        {
            AdoptReferenced();
            if (_plugin is null)
            {
                var candidate = TorchSharpEngineLocator.Locate(EngineSearch.FromEnvironment()) ?? throw Missing(need, alternative);
                _plugin = LoadFrom(candidate, ClassifyInfo.Version);
                LoadedFrom = candidate.Folder;
            }
            _plugin.Register();
            return _plugin;
        }
    }

    /// <summary>The one-line error for a missing engine.</summary>
    internal static InputException Missing(string need, string? alternative = null) => new(
        $"{need} needs the TorchSharp engine, which is not installed: install it beside classify with " +
        $"'dotnet tool install -g {TorchSharpEngineLocator.PackageId} --version {ClassifyInfo.Version}' (docs/install.md), " +
        $"or set {TorchSharpEngineLocator.EnvironmentVariable} to the engine's folder{alternative}");

    /// <summary>
    /// Loads the engine from <paramref name="candidate"/>'s folder into its own <see cref="EngineLoadContext"/> and
    /// returns its plugin (not yet registered).
    /// </summary>
    /// <exception cref="InputException">The engine's version is not <paramref name="hostVersion"/>.</exception>
    internal static IEnginePlugin LoadFrom(EngineCandidate candidate, string hostVersion)
    {
        var engineVersion = EngineVersion(candidate.MainAssembly);
        if (engineVersion != hostVersion)
            throw new InputException(
                $"the TorchSharp engine in {candidate.Folder} ({candidate.Origin}) is version {engineVersion ?? "unknown"} but classify is {hostVersion}: " +
                $"install the same version of both ('dotnet tool update -g {TorchSharpEngineLocator.PackageId} --version {hostVersion}')");
        var context = new EngineLoadContext(candidate.MainAssembly);
        var assembly = context.LoadFromAssemblyName(new AssemblyName(PluginAssembly));
        return EnginePluginAttribute.Create(assembly)
               ?? throw new InvalidOperationException($"{assembly.Location} declares no engine plugin");
    }

    /// <summary>The informational version (without build metadata) of an assembly file, read without loading it.</summary>
    internal static string? EngineVersion(string assemblyPath) =>
        FileVersionInfo.GetVersionInfo(assemblyPath).ProductVersion?.Split('+')[0];

    // (a), under Gate: takes the engine's plugin when none is held yet and the engine is part of this program.
    private static void AdoptReferenced()
    {
        if (_plugin is not null || TryReferenced() is not { } referenced) return;
        _plugin = referenced;
        LoadedFrom = "referenced";
    }

    // The engine's plugin when it is part of this program (a test host or an application referencing Classify.Transformers).
    private static IEnginePlugin? TryReferenced()
    {
        if (!EngineLoadContext.HostHas(PluginAssembly)) return null;
        try
        {
            return EnginePluginAttribute.Create(AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(PluginAssembly)));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static IModelEngine RealEngine() =>
        ModelEngines.All.FirstOrDefault(e => e.Name == EngineName && e is not StandInEngine)
        ?? throw new InvalidOperationException($"the TorchSharp engine did not register the {EngineName} engine");

    /// <summary>
    /// Holds the <c>transformer</c> name until the engine is loaded: claims what the engine would (its packages and
    /// Hugging Face classifier folders of the supported families), and loads the engine to train or load them.
    /// </summary>
    internal sealed class StandInEngine : IModelEngine
    {
        public string Name => EngineName;

        public IClassifierTrainer CreateTrainer() => new StandInTrainer();

        public bool CanLoad(string directory, ModelManifest? manifest) =>
            manifest is not null ? manifest.Engine == Name : IsHuggingFaceClassifier(directory);

        public IPredictor Load(string directory, ModelManifest? manifest)
        {
            EnsureLoaded($"{directory}: this transformer model",
                $"; or, without TorchSharp, convert it once with 'classify export --model {directory} --format onnx -o <folder>' and use that ONNX package");
            var real = RealEngine();
            return real.CanLoad(directory, manifest) ? real.Load(directory, manifest) : ModelEngines.Load(directory);
        }

        // config.json of a supported family, with weights (the engine's own test, without parsing the whole config).
        private static bool IsHuggingFaceClassifier(string directory)
        {
            var config = Path.Combine(directory, "config.json");
            if (!File.Exists(config)) return false;
            bool weights = File.Exists(Path.Combine(directory, "model.safetensors")) || File.Exists(Path.Combine(directory, "model.safetensors.index.json"))
                           || Directory.EnumerateFiles(directory).Any(f => Path.GetExtension(f).ToLowerInvariant() is ".bin" or ".pt" or ".pth" or ".ckpt");
            if (!weights) return false;
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllBytes(config));
                return json.RootElement.ValueKind == JsonValueKind.Object
                       && json.RootElement.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String
                       && Onnx.Export.OnnxExporter.SupportedModelTypes.Contains(type.GetString()!);
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    // The transformer trainer, loaded when the experiment first asks it anything (parsing its options).
    private sealed class StandInTrainer : IClassifierTrainer
    {
        private IClassifierTrainer? _real;

        private IClassifierTrainer Real
        {
            get
            {
                if (_real is not null) return _real;
                EnsureLoaded($"engine: {EngineName}");
                return _real = RealEngine().CreateTrainer() ?? throw new InvalidOperationException($"the {EngineName} engine does not train");
            }
        }

        public string Engine => EngineName;

        public object ParseOptions(ConfigReader section, LabelSchema schema) => Real.ParseOptions(section, schema);

        public void CheckTrainingData(object options, LabelSchema schema, IReadOnlyList<Example> train, int validationCount, Action<string>? log) =>
            Real.CheckTrainingData(options, schema, train, validationCount, log);

        public TrainingOutcome Train(TrainingRequest request, CancellationToken cancellationToken) => Real.Train(request, cancellationToken);

        public bool ModelsHaveDropout(object options) => Real.ModelsHaveDropout(options);
    }

    // scratch:<family>-<size>: drawing the weights needs torch, so the engine's own source does it.
    private sealed class StandInScratchSource : IModelSource
    {
        private const string Prefix = "scratch:";

        public string Name => "scratch";

        public string Syntax => "a scratch model (scratch:<family>-<size>)";

        public bool Recognizes(string spec) => spec.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

        public Task<string> ResolveAsync(string spec, ModelSourceOptions options, CancellationToken cancellationToken)
        {
            EnsureLoaded($"{spec} (a scratch model)");
            var real = ModelSources.All.FirstOrDefault(s => s.Name == Name && s is not StandInScratchSource)
                       ?? throw new InvalidOperationException("the TorchSharp engine did not register the scratch model source");
            return real.ResolveAsync(spec, options, cancellationToken);
        }
    }
}
