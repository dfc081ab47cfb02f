using System.Text.Json.Nodes;
using Classify.HuggingFace.SafeTensors;

namespace Classify.Onnx.Tests;

/// <summary>
/// A BERT sequence classifier of any shape with seeded random weights (std 0.05, about a trained model's scale),
/// written as a Hugging Face folder with the tiny-bert tokenizer: for file-size and speed checks that the 32-wide
/// fixtures are too small for.
/// </summary>
internal static class SyntheticBert
{
    public static string Write(string directory, int hidden, int layers, int heads, int intermediate, int labels = 3, int vocab = 1000, int seed = 7)
    {
        Directory.CreateDirectory(directory);
        const int positions = 512;
        var random = new Random(seed);
        var entries = new List<SafeTensorsEntry>();
        void Tensor(string name, float[] values, params long[] shape) => entries.Add(SafeTensorsEntry.FromFloat32(name, shape, values));
        float[] Normal(long count, double std) => Enumerable.Range(0, checked((int)count)).Select(_ =>
            (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();
        void Linear(string prefix, int output, int input)
        {
            Tensor(prefix + ".weight", Normal((long)output * input, 0.05), output, input);
            Tensor(prefix + ".bias", Normal(output, 0.02), output);
        }
        void Norm(string prefix)
        {
            Tensor(prefix + ".weight", Enumerable.Repeat(1f, hidden).ToArray(), hidden);
            Tensor(prefix + ".bias", new float[hidden], hidden);
        }

        Tensor("bert.embeddings.word_embeddings.weight", Normal((long)vocab * hidden, 0.05), vocab, hidden);
        Tensor("bert.embeddings.position_embeddings.weight", Normal((long)positions * hidden, 0.05), positions, hidden);
        Tensor("bert.embeddings.token_type_embeddings.weight", Normal(2L * hidden, 0.05), 2, hidden);
        Norm("bert.embeddings.LayerNorm");
        for (int i = 0; i < layers; i++)
        {
            var p = $"bert.encoder.layer.{i}";
            foreach (var name in new[] { "query", "key", "value" }) Linear($"{p}.attention.self.{name}", hidden, hidden);
            Linear($"{p}.attention.output.dense", hidden, hidden);
            Norm($"{p}.attention.output.LayerNorm");
            Linear($"{p}.intermediate.dense", intermediate, hidden);
            Linear($"{p}.output.dense", hidden, intermediate);
            Norm($"{p}.output.LayerNorm");
        }
        Linear("bert.pooler.dense", hidden, hidden);
        Linear("classifier", labels, hidden);
        SafeTensorsWriter.Write(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName), entries, SafeTensorsWriter.PyTorchMetadata);

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("BertForSequenceClassification"),
            ["model_type"] = "bert",
            ["vocab_size"] = vocab,
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads,
            ["intermediate_size"] = intermediate,
            ["max_position_embeddings"] = positions,
            ["hidden_act"] = "gelu",
            ["id2label"] = new JsonObject(Enumerable.Range(0, labels).Select(k => KeyValuePair.Create(k.ToString(), (JsonNode?)JsonValue.Create($"label_{k}")))),
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })
            File.Copy(TestPaths.Fixture("tiny-bert", file), Path.Combine(directory, file));
        return directory;
    }
}
