using Classify.Core.IO;
using Classify.HuggingFace.Configuration;

namespace Classify.Transformers.Engine;

/// <summary>
/// The real tokenizer files of bert-base-uncased, roberta-base and ModernBERT-base, shipped inside this assembly
/// (see <c>Engine/Tokenizers/README.md</c> for sources and licences), so scratch models tokenize exactly as the
/// published checkpoints do, offline.
/// </summary>
internal static class BundledTokenizers
{
    private const string ResourcePrefix = "Classify.Tokenizers/";

    /// <summary>The bundled tokenizer names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["bert-base-uncased", "roberta-base", "ModernBERT-base"];

    /// <summary>The tokenizer a model family uses: BERT and DistilBERT share bert-base-uncased's WordPiece vocabulary.</summary>
    public static string ForFamily(string modelType) => modelType.ToLowerInvariant() switch
    {
        BertConfig.Type or DistilBertConfig.Type => "bert-base-uncased",
        RobertaConfig.Type => "roberta-base",
        ModernBertConfig.Type => "ModernBERT-base",
        _ => throw new InputException($"no bundled tokenizer for model_type '{modelType}'", field: "model_type"),
    };

    /// <summary>The file names of one bundled tokenizer.</summary>
    public static IReadOnlyList<string> Files(string name) => Resources(name).Select(r => r.File).ToList();

    /// <summary>Writes the files of tokenizer <paramref name="name"/> into <paramref name="directory"/> (atomically, each file).</summary>
    public static void WriteTo(string name, string directory)
    {
        Directory.CreateDirectory(directory);
        var assembly = typeof(BundledTokenizers).Assembly;
        foreach (var (resource, file) in Resources(name))
        {
            using var stream = assembly.GetManifestResourceStream(resource)
                               ?? throw new InvalidOperationException($"embedded resource '{resource}' is missing");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            AtomicFile.WriteAllBytes(Path.Combine(directory, file), buffer.ToArray());
        }
    }

    private static List<(string Resource, string File)> Resources(string name)
    {
        if (!Names.Contains(name)) throw new ArgumentException($"unknown bundled tokenizer '{name}'; expected one of {string.Join(", ", Names)}", nameof(name));
        // MSBuild writes the folder separator of the build machine into the logical name.
        var prefix = ResourcePrefix + name + "/";
        var found = typeof(BundledTokenizers).Assembly.GetManifestResourceNames()
            .Select(r => (Resource: r, Normalized: r.Replace('\\', '/')))
            .Where(r => r.Normalized.StartsWith(prefix, StringComparison.Ordinal))
            .Select(r => (r.Resource, File: r.Normalized[prefix.Length..]))
            .OrderBy(r => r.File, StringComparer.Ordinal)
            .ToList();
        if (found.Count == 0) throw new InvalidOperationException($"the tokenizer '{name}' is not embedded in {typeof(BundledTokenizers).Assembly.GetName().Name}");
        return found;
    }
}
