using System.Text.Json.Nodes;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Tests.Tokenization;

/// <summary>Loads the golden files and the tokenizers once per test run.</summary>
internal static class Goldens
{
    private static readonly Lazy<JsonObject> RealJson = new(() => Read(TestPaths.Fixture("tokenizers-real.json")));
    private static readonly Dictionary<string, Lazy<PreTrainedTokenizer>> Tokenizers = new()
    {
        ["bert-base-uncased"] = new(() => AutoTokenizer.FromPretrained(RealTokenizerDir("bert-base-uncased"))),
        ["roberta-base"] = new(() => AutoTokenizer.FromPretrained(RealTokenizerDir("roberta-base"))),
        ["ModernBERT-base"] = new(() => AutoTokenizer.FromPretrained(RealTokenizerDir("ModernBERT-base"))),
    };

    public static JsonObject Real => RealJson.Value;

    public static PreTrainedTokenizer RealTokenizer(string name) => Tokenizers[name].Value;

    public static string RealTokenizerDir(string name) => Path.Combine(TestPaths.Shared, "tokenizers", name);

    public static JsonObject Read(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    public static int[] Ints(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    public static string[] Strings(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<string>()).ToArray();
}
