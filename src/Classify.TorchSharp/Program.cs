using System.Reflection;

// classify-torch: the TorchSharp engine of the classify tool. Its job is to be found by `classify` (which loads the
// engine from this folder); run alone it prints what it is, its version and where it lives.
var version = (typeof(Classify.Transformers.Engine.TorchSharpEnginePlugin).Assembly
    .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
var folder = AppContext.BaseDirectory;
if (args is ["--version"])
{
    Console.WriteLine(version);
    return 0;
}
Console.WriteLine($"Classify.TorchSharp {version}: the TorchSharp (libtorch) transformer engine of the classify tool.");
Console.WriteLine($"engine folder: {folder}");
if (args is ["--help"] or ["-h"] or ["-?"])
{
    Console.WriteLine();
    Console.WriteLine("Usage: classify-torch [--help | --version]");
    Console.WriteLine();
    Console.WriteLine("This tool is not run directly: `classify` (dotnet tool Classify.Cli, the same version) finds it and loads");
    Console.WriteLine("the transformer engine from its folder for `train`/`tune` with engine: transformer, `predict`/`eval`/`suggest`");
    Console.WriteLine("on transformer packages and Hugging Face folders, scratch: models and `pretrain`. classify looks in:");
    Console.WriteLine("  1. $CLASSIFY_TORCHSHARP_ENGINE (a folder holding Classify.TorchSharp.dll)");
    Console.WriteLine("  2. engines/torchsharp/ beside classify.dll (source builds)");
    Console.WriteLine("  3. this tool installed globally, with --tool-path (beside classify-torch on PATH) or as a local tool");
    Console.WriteLine();
    Console.WriteLine("Install: dotnet tool install -g Classify.TorchSharp   (docs/install.md)");
    return 0;
}
if (args.Length > 0)
{
    Console.Error.WriteLine($"classify-torch: unknown argument '{args[0]}' (see classify-torch --help)");
    return 2;
}
Console.WriteLine("`classify` finds this engine by itself; see classify-torch --help.");
return 0;
